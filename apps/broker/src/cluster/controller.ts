/**
 * Controller: the one broker that decides leadership, chosen through etcd.
 *
 * Election: any broker whose session is valid tries to create `<prefix>/controller` on its lease
 * in a transaction that requires the key to be absent; the winner's epoch is the key's create
 * revision. Every write the controller makes is a transaction comparing the controller key's
 * create revision with its epoch, so a deposed controller (its lease expired, another was
 * elected) changes nothing; every partition-state write also compares the state key's mod
 * revision, so no concurrent change (a leader's ISR update) is overwritten. Lock or election
 * helpers are not used: ownership of a lock is not fencing, revisions are.
 *
 * Work is level-triggered: reconcile() looks at every partition against the live brokers and
 * writes what must change, and runs again after any change of brokers or topics (and after a
 * conflict). For each partition (alive = registered and not shutting down):
 * - no state yet: leader = first live replica, ISR = the live replicas;
 * - a leader that is not alive, or no leader: the first replica (in replica order) that is in
 *   the ISR and alive, with a new leader epoch; the ISR loses the dead. None: no leader (-1) and
 *   the ISR kept as it was, so a member coming back is elected — unless
 *   unclean.leader.election.enable, which takes any live replica (acknowledged data may be lost);
 * - a live leader whose ISR holds dead followers: they leave the ISR (the epoch stays).
 * Preferred-leader elections (periodic when auto.leader.rebalance.enable, and on ElectLeaders)
 * move leadership to the first replica when it is alive and in the ISR.
 *
 * Event loop only; one reconcile at a time.
 */
import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { ERRORS, StrataError, topicNameProblem } from '@strata/protocol';
import type { BrokerConfig } from '../config/broker-config';
import { ConfigError, describeProblems } from '../config/settings';
import { TOPIC_SETTINGS, resolveTopicConfig, validateTopicConfigs } from '../config/topic-config';
import type { TopicRecord } from '../topics/metadata-store';
import { INTERNAL_PREFIX, MAX_PARTITIONS } from '../topics/limits';
import type { Scheduler } from '../util/scheduler';
import type { ElectionOutcome, ElectionType } from './cluster-view';
import type { ClusterState, PartitionStateEntry } from './cluster-state';
import { encode, type EtcdLayout, type PartitionStateRecord } from './etcd-layout';
import type { EtcdSession } from './etcd-session';
import { assignReplicas } from './replica-assignment';

export interface ControllerOptions {
  client: Etcd3;
  layout: EtcdLayout;
  state: ClusterState;
  session: EtcdSession;
  config: BrokerConfig;
  scheduler: Scheduler;
  logger: Logger;
}

export interface CreateTopicRequest {
  name: string;
  numPartitions: number;
  /** -1: default.replication.factor. */
  replicationFactor: number;
  configs: Record<string, string>;
  internal?: boolean;
}

interface StateWrite {
  topic: string;
  partition: number;
  state: PartitionStateRecord;
  /** Mod revision the state must still have (0: the key must not exist). */
  expected: number;
}

const OFFSETS_TOPIC = '__consumer_offsets';
/** How long a new controller waits for offsets.topic.replication.factor brokers before creating __consumer_offsets with fewer. */
const OFFSETS_TOPIC_GRACE_MS = 10_000;

/** etcd refuses transactions with more operations than this (its default --max-txn-ops). */
const MAX_TXN_OPS = 120;

export class Controller {
  private epoch = -1;
  private reconciling: Promise<void> | null = null;
  private again = false;
  private readonly shuttingDown = new Set<number>();
  private cancelRebalance: () => void = () => undefined;
  private closed = false;
  private electedAt = 0;

  constructor(private readonly options: ControllerOptions) {}

  get active(): boolean {
    return this.epoch > 0 && this.options.session.valid();
  }

  get controllerEpoch(): number {
    return this.epoch;
  }

  /** Tries to become the controller (when there is none). */
  async campaign(): Promise<void> {
    const { client, layout, session, config } = this.options;
    if (this.closed || !session.valid() || this.options.state.controller) return;
    const res = await client
      .if(layout.controller, 'Create', '==', 0)
      .then(client.put(layout.controller).value(encode({ brokerId: config.brokerId })).lease(session.id))
      .commit();
    if (!res.succeeded) return;
    this.epoch = Number(res.header.revision);
    this.electedAt = Date.now();
    this.options.logger.info({ controllerEpoch: this.epoch }, 'this broker is the controller');
    await this.ensureClusterId();
    this.scheduleRebalance();
    this.trigger();
  }

  /** Stops acting as controller (the lease is gone or another broker won). */
  resign(reason: string): void {
    if (this.epoch < 0) return;
    this.options.logger.info({ controllerEpoch: this.epoch, reason }, 'this broker is no longer the controller');
    this.epoch = -1;
    this.cancelRebalance();
  }

  /** The controller key changed: keep acting only while it still names this epoch. */
  onControllerChange(current: { brokerId: number; epoch: number } | null): void {
    if (this.epoch > 0 && (!current || current.epoch !== this.epoch)) this.resign('the controller key changed');
  }

  /** Removes the controller key if it is ours (a clean stop hands control over at once). */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelRebalance();
    const epoch = this.epoch;
    this.epoch = -1;
    if (epoch > 0) {
      const { client, layout } = this.options;
      await client
        .if(layout.controller, 'Create', '==', epoch)
        .then(client.delete().key(layout.controller))
        .commit()
        .catch((e: unknown) => this.options.logger.warn({ err: e }, 'could not remove the controller key; it expires with the lease'));
    }
    await this.reconciling?.catch(() => undefined);
  }

  private assertActive(): void {
    if (!this.active) {
      const c = this.options.state.controller;
      throw new StrataError(ERRORS.NOT_CONTROLLER, c ? `broker ${c.brokerId} is the controller` : 'no controller is elected right now');
    }
  }

  private async ensureClusterId(): Promise<void> {
    const { client, layout } = this.options;
    await client.if(layout.clusterId, 'Create', '==', 0).then(client.put(layout.clusterId).value(randomUUID())).commit();
  }

  /** Runs reconcile() now, or once more after the one in progress. */
  trigger(): void {
    if (!this.active) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = this.reconcileLoop().finally(() => (this.reconciling = null));
  }

  private async reconcileLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        const conflicts = await this.reconcile();
        if (conflicts) {
          // Someone changed a state meanwhile; the watch brings it, then we look again.
          await new Promise((resolve) => setTimeout(resolve, 50).unref());
          this.again = true;
        }
      } catch (e) {
        this.options.logger.warn({ err: e }, 'controller reconcile failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500).unref());
        this.again = this.active;
      }
    } while (this.again && this.active);
  }

  private alive(id: number): boolean {
    return this.options.state.isAlive(id) && !this.shuttingDown.has(id);
  }

  /**
   * Creates __consumer_offsets once enough brokers are alive for its replication factor (or,
   * after a grace period, with as many as there are: a cluster smaller than the setting).
   */
  private async ensureOffsetsTopic(): Promise<void> {
    const { state, config } = this.options;
    if (state.topic(OFFSETS_TOPIC)) return;
    const alive = state.brokers().filter((b) => this.alive(b.id)).length;
    const wanted = config.cluster.offsetsTopicReplicationFactor;
    if (alive === 0 || (alive < wanted && Date.now() - this.electedAt < OFFSETS_TOPIC_GRACE_MS)) return;
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': String(config.groups.offsetsTopicSegmentBytes), 'min.insync.replicas': String(Math.min(2, Math.min(wanted, alive))) };
    const [error] = await this.createTopics([{ name: OFFSETS_TOPIC, numPartitions: config.groups.offsetsTopicPartitions, replicationFactor: Math.min(wanted, alive), configs, internal: true }], false);
    if (error && error.code !== 'TOPIC_ALREADY_EXISTS') this.options.logger.warn({ err: error }, `creating ${OFFSETS_TOPIC} failed; retrying`);
  }

  /** One pass over every partition; true when some write lost a race. */
  private async reconcile(): Promise<boolean> {
    await this.ensureOffsetsTopic();
    const writes: StateWrite[] = [];
    const { state } = this.options;
    for (const topic of state.topics()) {
      const assignment = topic.assignment ?? [];
      const unclean = resolveTopicConfig(topic.configs, this.options.config).uncleanLeaderElection;
      for (let p = 0; p < topic.partitions; p++) {
        const replicas = assignment[p] ?? [];
        const current = state.partition(topic.name, p);
        const next = this.desiredState(replicas, current, unclean);
        if (next) writes.push({ topic: topic.name, partition: p, state: next, expected: current?.version ?? 0 });
      }
    }
    return this.writeStates(writes);
  }

  private desiredState(replicas: readonly number[], current: PartitionStateEntry | undefined, unclean: boolean): PartitionStateRecord | null {
    const alive = replicas.filter((id) => this.alive(id));
    if (!current) {
      return { leader: alive[0] ?? -1, leaderEpoch: 0, isr: alive.length > 0 ? alive : [...replicas], controllerEpoch: this.epoch };
    }
    if (current.leader >= 0 && this.alive(current.leader)) {
      const isr = current.isr.filter((id) => this.alive(id));
      if (isr.length === current.isr.length) return null;
      if (!isr.includes(current.leader)) isr.unshift(current.leader);
      return { ...current, isr, controllerEpoch: this.epoch };
    }
    const candidates = replicas.filter((id) => current.isr.includes(id) && this.alive(id));
    if (candidates.length > 0) {
      return { leader: candidates[0]!, leaderEpoch: current.leaderEpoch + 1, isr: current.isr.filter((id) => this.alive(id)), controllerEpoch: this.epoch };
    }
    if (unclean && alive.length > 0) {
      this.options.logger.warn({ replicas, isr: current.isr, leader: alive[0] }, 'unclean leader election: acknowledged records only the lost replicas had are gone');
      return { leader: alive[0]!, leaderEpoch: current.leaderEpoch + 1, isr: [alive[0]!], controllerEpoch: this.epoch };
    }
    if (current.leader === -1) return null;
    return { leader: -1, leaderEpoch: current.leaderEpoch + 1, isr: current.isr, controllerEpoch: this.epoch };
  }

  /** Writes partition states in transactions fenced by the controller epoch; true on a conflict. */
  private async writeStates(writes: StateWrite[]): Promise<boolean> {
    const { client, layout } = this.options;
    let conflict = false;
    for (let i = 0; i < writes.length; i += MAX_TXN_OPS) {
      const chunk = writes.slice(i, i + MAX_TXN_OPS);
      let txn = client.if(layout.controller, 'Create', '==', this.epoch);
      for (const w of chunk) txn = txn.and(layout.partitionState(w.topic, w.partition), 'Mod', '==', w.expected);
      const res = await txn.then(...chunk.map((w) => client.put(layout.partitionState(w.topic, w.partition)).value(encode(w.state)))).commit();
      if (!res.succeeded) {
        conflict = true;
        continue;
      }
      for (const w of chunk) {
        this.options.logger.info({ topic: w.topic, partition: w.partition, leader: w.state.leader, leaderEpoch: w.state.leaderEpoch, isr: w.state.isr }, 'partition state changed');
      }
    }
    return conflict;
  }

  private scheduleRebalance(): void {
    const c = this.options.config.cluster;
    if (!c.autoLeaderRebalance) return;
    this.cancelRebalance();
    this.cancelRebalance = this.options.scheduler.schedule(c.leaderImbalanceCheckIntervalMs, () => {
      void this.electLeaders('preferred', null).catch((e: unknown) => this.options.logger.warn({ err: e }, 'preferred leader election failed'));
      this.scheduleRebalance();
    });
  }

  // ---- requests answered by the controller ----

  async createTopics(requests: readonly CreateTopicRequest[], validateOnly: boolean): Promise<Array<StrataError | null>> {
    this.assertActive();
    const { state, client, layout, config } = this.options;
    const alive = state.brokers().filter((b) => this.alive(b.id));
    const results: Array<StrataError | null> = [];
    for (const req of requests) {
      try {
        const problem = topicNameProblem(req.name);
        if (problem) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, problem);
        if (!req.internal && req.name.startsWith(INTERNAL_PREFIX)) {
          throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `topic names starting with "${INTERNAL_PREFIX}" are reserved for the broker's internal topics: "${req.name}" cannot be created`);
        }
        if (state.topic(req.name)) throw new StrataError(ERRORS.TOPIC_ALREADY_EXISTS, `topic "${req.name}" already exists`);
        if (!Number.isInteger(req.numPartitions) || req.numPartitions < 1 || req.numPartitions > MAX_PARTITIONS) {
          throw new StrataError(ERRORS.INVALID_PARTITIONS, `numPartitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${req.numPartitions}`);
        }
        const rf = req.replicationFactor > 0 ? req.replicationFactor : config.cluster.defaultReplicationFactor;
        try {
          validateTopicConfigs(req.configs);
        } catch (e) {
          if (e instanceof ConfigError) throw new StrataError(ERRORS.INVALID_CONFIG, describeProblems(e.problems));
          throw e;
        }
        const minIsr = resolveTopicConfig(req.configs, config).minInsyncReplicas;
        if (minIsr > rf) throw new StrataError(ERRORS.INVALID_CONFIG, `min.insync.replicas (${minIsr}) is larger than the replication factor (${rf}): acks=all could never succeed`);
        const assignment = assignReplicas(alive, req.numPartitions, rf, Math.floor(Math.random() * Math.max(1, alive.length)));
        if (validateOnly) {
          results.push(null);
          continue;
        }
        const record: TopicRecord = { name: req.name, id: randomUUID(), partitions: req.numPartitions, configs: { ...req.configs }, createdAt: Date.now(), internal: req.internal ?? false, assignment };
        const puts = [client.put(layout.topic(req.name)).value(encode(record))];
        const states = assignment.map((replicas) => ({ leader: replicas[0]!, leaderEpoch: 0, isr: replicas, controllerEpoch: this.epoch }));
        // One transaction when it fits; the controller writes any missing state afterwards.
        const fitting = states.length + 2 <= MAX_TXN_OPS ? states : [];
        const res = await client
          .if(layout.controller, 'Create', '==', this.epoch)
          .and(layout.topic(req.name), 'Create', '==', 0)
          .then(...puts, ...fitting.map((s, p) => client.put(layout.partitionState(req.name, p)).value(encode(s))))
          .commit();
        if (!res.succeeded) {
          if (!this.active) throw new StrataError(ERRORS.NOT_CONTROLLER, 'this broker stopped being the controller');
          throw new StrataError(ERRORS.TOPIC_ALREADY_EXISTS, `topic "${req.name}" already exists`);
        }
        this.options.logger.info({ topic: req.name, partitions: req.numPartitions, replicationFactor: rf, assignment }, 'created topic');
        results.push(null);
      } catch (e) {
        results.push(e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message));
      }
    }
    this.trigger();
    return results;
  }

  async deleteTopic(name: string): Promise<void> {
    this.assertActive();
    const { state, client, layout } = this.options;
    const topic = state.topic(name);
    if (!topic) throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (topic.internal || name.startsWith(INTERNAL_PREFIX)) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `"${name}" is an internal topic of the broker and cannot be deleted`);
    const res = await client
      .if(layout.controller, 'Create', '==', this.epoch)
      .then(client.delete().prefix(layout.topicPartitionsPrefix(name)), client.delete().key(layout.topic(name)))
      .commit();
    if (!res.succeeded) throw new StrataError(ERRORS.NOT_CONTROLLER, 'this broker stopped being the controller');
    this.options.logger.info({ topic: name }, 'deleted topic');
  }

  async alterConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly: boolean): Promise<void> {
    this.assertActive();
    const { state, client, layout } = this.options;
    const topic = state.topic(name);
    if (!topic) throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (topic.internal || name.startsWith(INTERNAL_PREFIX)) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `"${name}" is an internal topic of the broker: its settings cannot be changed by clients`);
    const configs = { ...topic.configs, ...set };
    for (const key of remove) delete configs[key];
    const unknown = remove.filter((k) => !TOPIC_SETTINGS.some((d) => d.key === k));
    try {
      if (unknown.length > 0) throw new StrataError(ERRORS.INVALID_CONFIG, `unknown setting "${unknown[0]}"`);
      validateTopicConfigs(configs);
    } catch (e) {
      if (e instanceof ConfigError) throw new StrataError(ERRORS.INVALID_CONFIG, describeProblems(e.problems));
      throw e;
    }
    if (validateOnly) return;
    const res = await client
      .if(layout.controller, 'Create', '==', this.epoch)
      .and(layout.topic(name), 'Create', '!=', 0)
      .then(client.put(layout.topic(name)).value(encode({ ...topic, configs })))
      .commit();
    if (!res.succeeded) throw new StrataError(ERRORS.NOT_CONTROLLER, 'the topic changed or this broker stopped being the controller; try again');
  }

  /** Preferred (or unclean) elections; `partitions` null: every partition. */
  async electLeaders(type: ElectionType, partitions: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionOutcome[]> {
    this.assertActive();
    const { state } = this.options;
    const wanted = partitions ?? state.topics().map((t) => ({ topic: t.name, partitions: [] as number[] }));
    const outcomes: ElectionOutcome[] = [];
    const writes: StateWrite[] = [];
    for (const { topic, partitions: ps } of wanted) {
      const record = state.topic(topic);
      const indexes = ps.length > 0 ? ps : Array.from({ length: record?.partitions ?? 0 }, (_, i) => i);
      for (const p of indexes) {
        const current = state.partition(topic, p);
        const replicas = record?.assignment?.[p];
        if (!record || !current || !replicas) {
          outcomes.push({ topic, partition: p, error: new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${p} does not exist`) });
          continue;
        }
        if (type === 'preferred') {
          const preferred = replicas[0]!;
          if (current.leader === preferred) {
            outcomes.push({ topic, partition: p, error: new StrataError(ERRORS.ELECTION_NOT_NEEDED, `${topic}-${p} is already led by its preferred replica ${preferred}`) });
            continue;
          }
          if (!this.alive(preferred) || !current.isr.includes(preferred)) {
            outcomes.push({ topic, partition: p, error: new StrataError(ERRORS.PREFERRED_LEADER_NOT_AVAILABLE, `the preferred replica ${preferred} of ${topic}-${p} is not alive and in sync`) });
            continue;
          }
          writes.push({ topic, partition: p, state: { leader: preferred, leaderEpoch: current.leaderEpoch + 1, isr: current.isr, controllerEpoch: this.epoch }, expected: current.version });
          outcomes.push({ topic, partition: p, error: null });
        } else {
          if (current.leader >= 0 && this.alive(current.leader)) {
            outcomes.push({ topic, partition: p, error: new StrataError(ERRORS.ELECTION_NOT_NEEDED, `${topic}-${p} has a leader`) });
            continue;
          }
          const alive = replicas.filter((id) => this.alive(id));
          if (alive.length === 0) {
            outcomes.push({ topic, partition: p, error: new StrataError(ERRORS.LEADER_NOT_AVAILABLE, `no replica of ${topic}-${p} is alive`) });
            continue;
          }
          this.options.logger.warn({ topic, partition: p, leader: alive[0] }, 'unclean leader election requested: acknowledged records only the lost replicas had are gone');
          writes.push({ topic, partition: p, state: { leader: alive[0]!, leaderEpoch: current.leaderEpoch + 1, isr: [alive[0]!], controllerEpoch: this.epoch }, expected: current.version });
          outcomes.push({ topic, partition: p, error: null });
        }
      }
    }
    if (await this.writeStates(writes)) {
      for (const o of outcomes) if (o.error === null) o.error = new StrataError(ERRORS.REBALANCE_IN_PROGRESS, `the state of ${o.topic}-${o.partition} changed meanwhile; try again`);
    }
    return outcomes;
  }

  /**
   * A broker about to stop: its leaderships move to other in-sync replicas and it leaves every
   * ISR. Returns how many partitions it still leads (no other replica in sync).
   */
  async controlledShutdown(brokerId: number, brokerEpoch: number): Promise<number> {
    this.assertActive();
    const broker = this.options.state.broker(brokerId);
    if (!broker) return 0;
    if (brokerEpoch > 0 && broker.epoch !== brokerEpoch) throw new StrataError(ERRORS.INVALID_REQUEST, `broker ${brokerId} has epoch ${broker.epoch}, not ${brokerEpoch}`);
    this.shuttingDown.add(brokerId);
    this.options.logger.info({ brokerId }, 'controlled shutdown: moving leaderships away');
    for (let i = 0; i < 5 && (await this.reconcile()); i++) await new Promise((resolve) => setTimeout(resolve, 50).unref());
    // Partitions it leads with no other live in-sync replica stay with it.
    let remaining = 0;
    for (const t of this.options.state.topics()) {
      for (let p = 0; p < t.partitions; p++) {
        const s = this.options.state.partition(t.name, p);
        if (s?.leader === brokerId && !s.isr.some((id) => id !== brokerId && this.alive(id))) remaining++;
      }
    }
    return remaining;
  }

  /** A broker registered again: it takes part in elections again. */
  brokerUp(id: number): void {
    this.shuttingDown.delete(id);
    this.trigger();
  }
}
