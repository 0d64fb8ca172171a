/**
 * Where the cluster's metadata lives in etcd, under `etcd.prefix` (default /strata), and how each
 * value is encoded (JSON):
 *
 *   <prefix>/cluster-id                            the cluster id, written once
 *   <prefix>/brokers/<id>                          BrokerRegistration, on the broker's lease; the
 *                                                  key's create revision is the broker epoch
 *   <prefix>/controller                            ControllerRecord, on the controller's lease,
 *                                                  created only if absent; its create revision is
 *                                                  the controller epoch
 *   <prefix>/topics/<name>                         TopicRecord (id, partitions, replica assignment, configs)
 *   <prefix>/topics/<name>/partitions/<n>/state    PartitionStateRecord; its mod revision is the
 *                                                  partition epoch (ISR changes compare it)
 *   <prefix>/producer-ids                          { next }: the next block of producer ids
 *   <prefix>/producer-id-key                       the key that makes producer ids unguessable
 *   <prefix>/security/scram/<user>                 SCRAM credentials of one user, by mechanism:
 *                                                  { "SCRAM-SHA-512": { iterations, salt, storedKey,
 *                                                  serverKey } } (base64); never a password. Changed
 *                                                  by compare-and-swap on the key's mod revision
 *   <prefix>/security/acls/<sha-256 of the binding> one ACL binding (AclBinding); the key is derived
 *                                                  from the binding, so an identical binding is one key
 *
 * Topic names cannot contain "/", so a key under topics/ is a topic or one of its partitions'
 * states, never both. Pure functions; no I/O.
 */
import type { TopicRecord } from '../topics/metadata-store';

export interface BrokerRegistration {
  id: number;
  url: string;
  rack: string;
}

export interface ControllerRecord {
  brokerId: number;
}

export interface PartitionStateRecord {
  /** -1: no leader. */
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** Epoch of the controller that elected the leader (for the record; fencing uses revisions). */
  controllerEpoch: number;
}

export class EtcdLayout {
  constructor(readonly prefix: string) {}

  get root(): string {
    return `${this.prefix}/`;
  }

  get clusterId(): string {
    return `${this.prefix}/cluster-id`;
  }

  get brokersPrefix(): string {
    return `${this.prefix}/brokers/`;
  }

  broker(id: number): string {
    return `${this.brokersPrefix}${id}`;
  }

  get controller(): string {
    return `${this.prefix}/controller`;
  }

  get topicsPrefix(): string {
    return `${this.prefix}/topics/`;
  }

  topic(name: string): string {
    return `${this.topicsPrefix}${name}`;
  }

  /** Prefix of a topic's partition states (deleted with the topic). */
  topicPartitionsPrefix(name: string): string {
    return `${this.topicsPrefix}${name}/partitions/`;
  }

  partitionState(topic: string, partition: number): string {
    return `${this.topicPartitionsPrefix(topic)}${partition}/state`;
  }

  get producerIds(): string {
    return `${this.prefix}/producer-ids`;
  }

  get producerIdKey(): string {
    return `${this.prefix}/producer-id-key`;
  }

  get scramUsersPrefix(): string {
    return `${this.prefix}/security/scram/`;
  }

  /** Any user name (etcd keys are bytes; everything after the prefix is the name). */
  scramUser(user: string): string {
    return `${this.scramUsersPrefix}${user}`;
  }

  get aclsPrefix(): string {
    return `${this.prefix}/security/acls/`;
  }

  acl(id: string): string {
    return `${this.aclsPrefix}${id}`;
  }

  /** What a key under the prefix is. */
  parse(key: string):
    | { kind: 'broker'; id: number }
    | { kind: 'controller' }
    | { kind: 'topic'; name: string }
    | { kind: 'partition'; topic: string; partition: number }
    | { kind: 'other' } {
    if (!key.startsWith(this.root)) return { kind: 'other' };
    const rest = key.slice(this.root.length);
    if (rest === 'controller') return { kind: 'controller' };
    let m = /^brokers\/(\d+)$/.exec(rest);
    if (m) return { kind: 'broker', id: Number(m[1]) };
    m = /^topics\/([^/]+)\/partitions\/(\d+)\/state$/.exec(rest);
    if (m) return { kind: 'partition', topic: m[1]!, partition: Number(m[2]) };
    m = /^topics\/([^/]+)$/.exec(rest);
    if (m) return { kind: 'topic', name: m[1]! };
    return { kind: 'other' };
  }
}

export function encode(value: unknown): string {
  return JSON.stringify(value);
}

/** Parses a value this cluster wrote; null when it is not JSON (reported by the caller). */
export function decode<T>(raw: Buffer | string): T | null {
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as T; // written by this code, through encode()
  } catch {
    return null;
  }
}

export type { TopicRecord };
