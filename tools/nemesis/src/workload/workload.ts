/**
 * The workloads of a run as a set of client processes, each with its own source address and
 * history file:
 * - queue: `producers` idempotent acks=all producers writing unique values, `assignConsumers`
 *   assign-mode consumers reading every partition from the beginning;
 * - group: `groupConsumers` members of one group committing offsets, and a monitor reading the
 *   group's committed offsets;
 * - after healing, one final reader (everything up to the high watermarks, and the group's final
 *   committed offsets).
 * Client number 0 is the final reader; the others count from 1.
 */
import { join } from 'node:path';
import { clientSource } from '../cluster/proxied-cluster';
import type { ClientRole, ClientSpec } from './client-spec';
import { ClientProcess } from './clients';

export interface WorkloadOptions {
  urls: string[];
  /** The run folder: history/ and logs/ are inside. */
  dir: string;
  topic: string;
  partitions: number;
  groupId: string;
  producers: number;
  assignConsumers: number;
  groupConsumers: number;
  /** Records per second per producer. */
  rate: number;
  /** Group members' session timeout (ms). */
  sessionTimeoutMs: number;
}

export class Workload {
  readonly producers: ClientProcess[] = [];
  readonly consumers: ClientProcess[] = [];
  private next = 1;

  constructor(private readonly options: WorkloadOptions) {}

  /** Source addresses of the workload's clients (what a client partition cuts). */
  get sources(): string[] {
    return [...this.producers, ...this.consumers].map((c) => c.spec.sourceAddress);
  }

  private spec(role: ClientRole, name: string, n: number, extra: Partial<ClientSpec> = {}): ClientSpec {
    const o = this.options;
    return {
      role,
      name,
      brokers: o.urls,
      sourceAddress: clientSource(n),
      topic: o.topic,
      partitions: o.partitions,
      historyPath: join(o.dir, 'history', `${name}.jsonl`),
      logPath: join(o.dir, 'logs', `${name}.log`),
      groupId: o.groupId,
      ...extra,
    };
  }

  /** Starts the consumers (so the group exists before the first record), then the producers. */
  async start(): Promise<void> {
    const o = this.options;
    for (let i = 1; i <= o.groupConsumers; i++) this.consumers.push(new ClientProcess(this.spec('group-consumer', `group-${i}`, this.next++, { sessionTimeoutMs: o.sessionTimeoutMs, commitIntervalMs: 500 })));
    if (o.groupConsumers > 0) this.consumers.push(new ClientProcess(this.spec('offsets-monitor', 'offsets-monitor', this.next++)));
    for (let i = 1; i <= o.assignConsumers; i++) this.consumers.push(new ClientProcess(this.spec('assign-consumer', `assign-${i}`, this.next++)));
    for (let i = 1; i <= o.producers; i++) this.producers.push(new ClientProcess(this.spec('producer', `producer-${i}`, this.next++, { rate: o.rate, concurrency: 4 })));
    await Promise.all(this.consumers.map((c) => c.start()));
    await Promise.all(this.producers.map((c) => c.start()));
  }

  /** Stops the producers (each waits for its sends in flight), then the consumers. */
  async stop(): Promise<void> {
    await Promise.all(this.producers.map((c) => c.stop()));
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  /** Runs the final reader to its end. */
  async finalRead(deadlineMs: number): Promise<ClientProcess> {
    const reader = new ClientProcess(this.spec('final-reader', 'final-reader', 0, { deadlineMs }));
    await reader.start();
    await reader.finished();
    return reader;
  }

  /** Client processes that crashed or had to be killed, with why. */
  problems(): string[] {
    return [...this.producers, ...this.consumers].filter((c) => c.crash).map((c) => `${c.name}: ${c.crash}`);
  }

  async kill(): Promise<void> {
    await Promise.all([...this.producers, ...this.consumers].map((c) => c.kill()));
  }
}
