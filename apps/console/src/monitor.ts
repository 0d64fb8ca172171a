/**
 * The console's view of the cluster, refreshed every `intervalMs`: brokers and partition placement
 * (describeCluster), topics with offsets, sizes and configs (describeTopics), and groups with their
 * lag (listGroups + describeGroups). From successive snapshots it derives the rate histories the
 * charts show: records in per second (high watermarks), records out per second (committed offsets),
 * per topic and overall, and each group's total lag.
 *
 * One poll at a time: a refresh asked for while one runs is served by the next one. Listeners are
 * called after every poll, failed or not. Browser-only (timers), single-threaded.
 */
import type { Admin, ClusterDescription, GroupDescriptionInfo, TopicDescription } from '@strata/client';
import { History, RateSeries } from './rates';

export interface Snapshot {
  /** Date.now() of the poll. */
  at: number;
  cluster: ClusterDescription;
  topics: TopicDescription[];
  groups: GroupDescriptionInfo[];
}

export interface MonitorState {
  snapshot: Snapshot | null;
  /** The last poll's failure, cleared by the next success. */
  error: Error | null;
}

/** Points kept per chart: 120 polls (4 minutes at the default 2 s). */
const HISTORY = 120;

/** Records a topic holds: the sum over its partitions of high watermark minus log start offset. */
export function topicRecords(topic: TopicDescription): number {
  return topic.partitions.reduce((n, p) => n + Math.max(0, p.highWatermark - p.logStartOffset), 0);
}

export function topicBytes(topic: TopicDescription): number {
  return topic.partitions.reduce((n, p) => n + p.size, 0);
}

/** A group's total lag over the partitions it has committed offsets for. */
export function groupLag(group: GroupDescriptionInfo): number {
  return group.offsets.reduce((n, o) => n + Math.max(0, o.lag), 0);
}

export class Monitor {
  private state: MonitorState = { snapshot: null, error: null };
  private readonly listeners = new Set<(state: MonitorState) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  readonly recordsIn = new RateSeries(HISTORY);
  readonly recordsOut = new RateSeries(HISTORY);
  private readonly topicIn = new Map<string, RateSeries>();
  private readonly lag = new Map<string, History>();

  constructor(
    private readonly admin: Admin,
    private readonly intervalMs: number,
  ) {}

  current(): MonitorState {
    return this.state;
  }

  /** Calls `listener` after every poll; returns the unsubscribe. */
  subscribe(listener: (state: MonitorState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts polling (the first poll at once). */
  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Polls now (after the poll in progress, if any); resolves when a poll that started after this call has finished. */
  async refresh(): Promise<void> {
    if (this.polling) {
      this.again = true;
      await this.polling;
      if (this.polling) await this.polling;
      return;
    }
    clearTimeout(this.timer);
    this.polling = this.poll().finally(() => {
      this.polling = null;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        void this.refresh();
      } else this.timer = setTimeout(() => void this.refresh(), this.intervalMs);
    });
    await this.polling;
  }

  topicRate(topic: string): History | undefined {
    return this.topicIn.get(topic)?.history;
  }

  lagHistory(group: string): History | undefined {
    return this.lag.get(group);
  }

  private async poll(): Promise<void> {
    try {
      const [cluster, { topics }, listed] = await Promise.all([this.admin.describeCluster(), this.admin.describeTopics(), this.admin.listGroups()]);
      const groups = listed.length === 0 ? [] : await this.admin.describeGroups(listed.map((g) => g.groupId));
      const at = Date.now();
      this.record(at, topics, groups);
      this.state = { snapshot: { at, cluster, topics: topics.sort((a, b) => a.name.localeCompare(b.name)), groups: groups.sort((a, b) => a.groupId.localeCompare(b.groupId)) }, error: null };
    } catch (error) {
      this.state = { snapshot: this.state.snapshot, error: error instanceof Error ? error : new Error(String(error)) };
    }
    if (this.stopped) return;
    for (const listener of this.listeners) listener(this.state);
  }

  private record(at: number, topics: readonly TopicDescription[], groups: readonly GroupDescriptionInfo[]): void {
    const user = topics.filter((t) => !t.isInternal);
    this.recordsIn.sample({ at, counters: new Map(user.map((t) => [t.name, t.partitions.reduce((n, p) => n + p.highWatermark, 0)])) });
    const committed = new Map<string, number>();
    for (const g of groups) for (const o of g.offsets) if (o.committedOffset >= 0) committed.set(`${g.groupId}\u0000${o.topic}\u0000${o.partition}`, o.committedOffset);
    this.recordsOut.sample({ at, counters: committed });
    for (const t of user) {
      let series = this.topicIn.get(t.name);
      if (!series) this.topicIn.set(t.name, (series = new RateSeries(HISTORY)));
      series.sample({ at, counters: new Map(t.partitions.map((p) => [String(p.partition), p.highWatermark])) });
    }
    for (const name of this.topicIn.keys()) if (!user.some((t) => t.name === name)) this.topicIn.delete(name);
    for (const g of groups) {
      let history = this.lag.get(g.groupId);
      if (!history) this.lag.set(g.groupId, (history = new History(HISTORY)));
      history.add({ at, value: groupLag(g) });
    }
  }
}
