/**
 * What the coordinator needs to know about topics, and how member subscriptions (names and a
 * regular expression) resolve against them.
 *
 * Regular expressions are JavaScript syntax, anchored implicitly (the whole name must match, as
 * with Kafka's pattern subscriptions) and never match internal topics; explicit names may name an
 * internal topic. Names that do not exist resolve to nothing until the topic is created.
 */
import { ERRORS, StrataError } from '@strata/protocol';
import type { ConsumerGroup, GroupMember } from './consumer-group';

export interface TopicCatalog {
  /** Changes whenever a topic is created or deleted or its partition count changes. */
  version(): number;
  /** Partition count of an existing topic; undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Names of the user (non-internal) topics. */
  userTopics(): readonly string[];
  /** High watermark of a partition; undefined when it does not exist. */
  highWatermark(topic: string, partition: number): number | undefined;
}

export const MAX_REGEX_LENGTH = 1000;

const compiled = new Map<string, RegExp>();

/** The compiled, anchored form of a subscription regex. Throws INVALID_REQUEST when it does not compile. */
export function subscriptionRegex(source: string): RegExp {
  let re = compiled.get(source);
  if (re) return re;
  if (source.length > MAX_REGEX_LENGTH) {
    throw new StrataError(ERRORS.INVALID_REQUEST, `subscribed_topic_regex is longer than ${MAX_REGEX_LENGTH} characters`);
  }
  try {
    re = new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new StrataError(ERRORS.INVALID_REQUEST, `subscribed_topic_regex ${JSON.stringify(source)} is not a valid regular expression: ${(e as Error).message}`);
  }
  if (compiled.size >= 1000) compiled.clear();
  compiled.set(source, re);
  return re;
}

/** Existing topics the member subscribes to. */
export function memberTopics(member: GroupMember, catalog: TopicCatalog, userTopics: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of member.subscribedTopicNames) if (catalog.partitionCount(name) !== undefined) out.add(name);
  if (member.subscribedTopicRegex) {
    const re = subscriptionRegex(member.subscribedTopicRegex);
    for (const name of userTopics) if (re.test(name)) out.add(name);
  }
  return out;
}

/** Per member, its existing subscribed topics; and the partition count of each such topic. */
export function resolveGroupTopics(
  group: ConsumerGroup,
  catalog: TopicCatalog,
): { byMember: Map<string, Set<string>>; partitions: Map<string, number> } {
  const userTopics = [...group.members.values()].some((m) => m.subscribedTopicRegex) ? catalog.userTopics() : [];
  const byMember = new Map<string, Set<string>>();
  const partitions = new Map<string, number>();
  for (const m of group.members.values()) {
    const topics = memberTopics(m, catalog, userTopics);
    byMember.set(m.memberId, topics);
    for (const t of topics) partitions.set(t, catalog.partitionCount(t)!);
  }
  return { byMember, partitions };
}

/** A string that changes when the set of subscribed topics or a partition count changes. */
export function topicsFingerprint(partitions: ReadonlyMap<string, number>): string {
  return [...partitions.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([t, n]) => `${t}:${n}`)
    .join(',');
}
