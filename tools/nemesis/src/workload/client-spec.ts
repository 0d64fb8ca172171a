/**
 * What a client process is told to do (its one argument, JSON) and the messages it exchanges with
 * the harness over the IPC channel. Shared by the harness (workload/clients.ts) and the client
 * processes (workload/client-main.ts). Types only.
 */

export type ClientRole = 'producer' | 'assign-consumer' | 'group-consumer' | 'offsets-monitor' | 'final-reader';

export interface ClientSpec {
  role: ClientRole;
  /** Process name in the history: "producer-1", "group-2"... */
  name: string;
  /** Bootstrap URLs (the brokers' proxies). */
  brokers: string[];
  /** Local address this process connects from, so proxies can cut it alone. */
  sourceAddress: string;
  topic: string;
  partitions: number;
  /** This process's history file. */
  historyPath: string;
  /** Where the SDK's warnings go. */
  logPath: string;
  /** group-consumer, offsets-monitor, final-reader: the group of the group workload. */
  groupId?: string;
  /** producer: records sent per second (all partitions). */
  rate?: number;
  /** producer: send() calls in flight at most. */
  concurrency?: number;
  /** group-consumer: milliseconds between commits. */
  commitIntervalMs?: number;
  /** group-consumer: the group session timeout (ms). */
  sessionTimeoutMs?: number;
  /** final-reader: give up reading after this many milliseconds. */
  deadlineMs?: number;
}

export type ToClient = { type: 'stop' } | { type: 'probe'; id: number; partition: number; isr: number[] };

export type FromClient =
  | { type: 'ready' }
  | { type: 'probed'; id: number; ok: boolean; ms: number; error?: string }
  | { type: 'done'; summary: Record<string, number> }
  | { type: 'crashed'; error: string };
