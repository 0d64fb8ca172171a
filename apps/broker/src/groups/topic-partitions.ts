/**
 * Sets of topic-partitions as the coordinator handles them: a `TpKey` is "topic:partition"
 * (topic names never contain ':'), so assignments are plain `Set<TpKey>` and set arithmetic
 * stays simple. Conversion to and from the wire's `TopicPartitions` lists is sorted, so equal
 * sets always encode to equal bytes.
 */
import type { TopicPartitionsInit } from '@strata/protocol';

export type TpKey = string;

export function tpKey(topic: string, partition: number): TpKey {
  return `${topic}:${partition}`;
}

export function parseTp(key: TpKey): { topic: string; partition: number } {
  const i = key.lastIndexOf(':');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

export function topicOf(key: TpKey): string {
  return key.slice(0, key.lastIndexOf(':'));
}

/** Orders by topic name, then partition number. */
export function compareTp(a: TpKey, b: TpKey): number {
  const pa = parseTp(a);
  const pb = parseTp(b);
  if (pa.topic !== pb.topic) return pa.topic < pb.topic ? -1 : 1;
  return pa.partition - pb.partition;
}

export function sortedTps(set: Iterable<TpKey>): TpKey[] {
  return [...set].sort(compareTp);
}

/** Wire form: one entry per topic (sorted), partitions ascending. */
export function toTopicPartitions(set: Iterable<TpKey>): TopicPartitionsInit[] {
  const byTopic = new Map<string, number[]>();
  for (const key of set) {
    const { topic, partition } = parseTp(key);
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic.keys()].sort().map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

export function fromTopicPartitions(list: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Set<TpKey> {
  const out = new Set<TpKey>();
  for (const t of list) for (const p of t.partitions) out.add(tpKey(t.topic, p));
  return out;
}

export function setsEqual<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

export function difference<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  const out = new Set<T>();
  for (const x of a) if (!b.has(x)) out.add(x);
  return out;
}

export function intersection<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  const out = new Set<T>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

export function intersects<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}
