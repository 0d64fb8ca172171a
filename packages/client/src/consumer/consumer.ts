/**
 * The consumer. Two modes, chosen by the `groupId` option:
 * - assign mode (no groupId): reads the partitions it is given (`assign`), from the offsets it is
 *   given; the broker remembers nothing about it;
 * - group mode: `subscribe()`s to topics; while consuming it is a member of its consumer group,
 *   whose coordinator shares the partitions among the members, and it commits processed offsets
 *   to the group (GroupSession).
 * Consumption is either push (`run({ eachMessage | eachBatch })`) or pull
 * (`for await (const m of consumer)`, `consumer.batches()`), one at a time, with long-poll fetches
 * at the log end.
 *
 * Invariants: per partition, messages are delivered in offset order, each once, unless a seek, a
 * handler failure or a change of owner (group mode) rewinds the partition; fetching stays at most
 * `maxBufferedBytes` (plus one response) ahead of the application. Single-threaded: everything runs
 * on the event loop; group heartbeats run on timers, whatever the handlers do.
 */
import { createCluster, type ClientContext } from '../client-context';
import { defaultCodecs } from '../codecs/compression-codec';
import type { Cluster } from '../cluster/cluster';
import { StrataArgumentError, StrataClosedError } from '../errors';
import { InstrumentationEmitter, type EventListener, type Unsubscribe } from '../instrumentation';
import type { ConnectionEvents } from '../network/connection-events';
import { Retrier } from '../retry';
import type { ConsumerMessage, MessageBatch } from './consumer-message';
import { BatchIterator, MessageIterator, type IteratorContext } from './consumer-iterators';
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from './consumer-options';
import { ConsumptionTracker } from './consumption-tracker';
import { Delivery } from './delivery';
import { FetchBuffer } from './fetch-buffer';
import { Fetcher, type FetcherEvents } from './fetcher';
import { GroupSession, type GroupEvents } from './group/group-session';
import type { SubscribeArgs } from './group/group-subscription';
import type { TopicPartitionOffset } from './group/offset-committer';
import { RecordDecoder } from './record-decoder';
import type { BytesView } from './bytes-view';
import { Runner, type RunOptions, type RunnerEvents } from './runner';
import { checkOffset, SubscriptionState, type PartitionAssignment, type PartitionState, type TopicPartition } from './subscription-state';

export interface ConsumerEvents extends ConnectionEvents, FetcherEvents, RunnerEvents, GroupEvents {
  'consumer.connect': Record<string, never>;
  'consumer.disconnect': Record<string, never>;
  /** run() or an iteration ended. */
  'consumer.stop': Record<string, never>;
  /** Consumption stopped on an error that retries could not fix. */
  'consumer.crash': { error: Error };
}

/** `[{ topic, partitions? }]`: the listed partitions, or all assigned partitions of the topic. */
export type TopicPartitionsSelection = ReadonlyArray<{ topic: string; partitions?: readonly number[] }>;

type Mode = 'idle' | 'run' | 'iterate';

/**
 * `B` is the byte type of keys, values and header values: Buffer from the Node entry, Uint8Array
 * from the browser entry.
 */
export class Consumer<B extends Uint8Array = Uint8Array> implements AsyncIterable<ConsumerMessage<B>> {
  private readonly options: ResolvedConsumerOptions;
  private readonly events: InstrumentationEmitter<ConsumerEvents>;
  private readonly cluster: Cluster;
  private readonly retrier: Retrier;
  private readonly subscriptions: SubscriptionState;
  private readonly buffer: FetchBuffer;
  private readonly fetcher: Fetcher;
  private readonly tracker: ConsumptionTracker;
  private readonly delivery: Delivery<B>;
  private readonly group: GroupSession | null;
  private readonly logger: ClientContext['logger'];
  private readonly clock: ClientContext['clock'];
  private connected = false;
  private mode: Mode = 'idle';
  private runner: Runner<B> | null = null;
  private runLoop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Increases with each run() or iteration; an iterator from an older one has ended. */
  private session = 0;

  /** Use `strata.consumer()`. */
  constructor(ctx: ClientContext<B>, options?: ConsumerOptions) {
    this.options = resolveConsumerOptions(options, ctx.options.retry);
    this.events = new InstrumentationEmitter<ConsumerEvents>(ctx.clock, ctx.logger);
    this.retrier = new Retrier(this.options.retry, ctx.clock);
    this.cluster = createCluster(ctx, { events: this.events, retry: this.options.retry, allowAutoTopicCreation: this.options.allowAutoTopicCreation });
    this.subscriptions = new SubscriptionState(this.options.autoOffsetReset);
    this.buffer = new FetchBuffer(this.options.maxBufferedBytes, () => this.fetcher.schedule());
    this.tracker = new ConsumptionTracker(ctx.clock, {
      onRewind: () => this.fetcher.schedule(),
      onProgress: (count) => this.group?.onProgress(count),
    });
    this.fetcher = new Fetcher({
      cluster: this.cluster,
      subscriptions: this.subscriptions,
      buffer: this.buffer,
      options: this.options,
      requestTimeoutMs: ctx.options.requestTimeoutMs,
      retrier: this.retrier,
      clock: ctx.clock,
      logger: ctx.logger,
      events: this.events,
      onFatal: (error) => this.crash(error),
    });
    const group = this.options.group;
    this.group = group
      ? new GroupSession({
          options: group,
          autoOffsetReset: this.options.autoOffsetReset,
          cluster: this.cluster,
          subscriptions: this.subscriptions,
          tracker: this.tracker,
          reschedule: () => this.fetcher.schedule(),
          requestTimeoutMs: ctx.options.requestTimeoutMs,
          retrier: this.retrier,
          clock: ctx.clock,
          logger: ctx.logger,
          events: this.events,
          onFatal: (error) => this.crash(error),
        })
      : null;
    const atMostOnce = group?.deliverySemantics === 'at-most-once' ? this.group : null;
    const view: BytesView<B> = ctx.bytesView;
    this.delivery = new Delivery<B>({
      buffer: this.buffer,
      decoder: new RecordDecoder(defaultCodecs(this.options.codecs, ctx.platformCodecs), this.options.checkCrcs, view),
      tracker: this.tracker,
      clock: ctx.clock,
      beforeHandOut: atMostOnce ? (data) => atMostOnce.commitBeforeHandOut(data) : null,
    });
    this.logger = ctx.logger;
    this.clock = ctx.clock;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ConsumerEvents & string>(type: K, listener: EventListener<ConsumerEvents[K]>): Unsubscribe {
    return this.events.on(type, listener);
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
    this.connected = true;
    this.events.emit('consumer.connect', {});
  }

  /**
   * Stops consumption (waiting for a running handler to return; in a group: committing and leaving
   * it) and closes the connections.
   */
  async disconnect(): Promise<void> {
    await this.stop();
    if (!this.connected) {
      this.cluster.disconnect(); // ends a connect() still retrying
      return;
    }
    this.connected = false;
    this.cluster.disconnect();
    this.events.emit('consumer.disconnect', {});
  }

  /**
   * Group mode: adds topics (names and/or regular expressions) to the subscription. The member
   * joins the group when consumption starts; a subscription changed while consuming takes effect at
   * once.
   */
  subscribe(args: SubscribeArgs): void {
    if (!this.group) throw new StrataArgumentError('subscribe: the consumer has no groupId; create it with strata.consumer({ groupId }) or use assign()');
    this.group.subscribe(args);
  }

  /**
   * Group mode: commits offsets (each the next offset to consume, one past the last processed
   * record), or without arguments the processed offsets of every partition the member consumes.
   * Only while consuming (the member is in its group).
   */
  async commitOffsets(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    if (!this.group) throw new StrataArgumentError('commitOffsets: the consumer has no groupId (assign mode keeps no offsets at the broker)');
    await this.group.commitOffsets(offsets);
  }

  /** Group mode: the member id (a UUID chosen at construction) and its current epoch (0 while not in the group). */
  groupMember(): { groupId: string; memberId: string; memberEpoch: number } | null {
    if (!this.group || !this.options.group) return null;
    return { groupId: this.options.group.groupId, memberId: this.group.memberId, memberEpoch: this.group.memberEpoch };
  }

  /**
   * Assign mode: sets the partitions to read, replacing the previous assignment. Each starts at
   * `offset`, at the log start with `fromBeginning`, else as `autoOffsetReset` says (default: the
   * log end). A partition that stays assigned without a new offset keeps its position.
   */
  assign(assignments: readonly PartitionAssignment[]): void {
    if (this.group) throw new StrataArgumentError('assign: a consumer with a groupId gets its partitions from the group; use subscribe()');
    if (!Array.isArray(assignments)) throw new StrataArgumentError('assign: expected an array of { topic, partition, offset?, fromBeginning? }');
    // Data already fetched for partitions that stay remains valid; data of removed or re-positioned
    // partitions is recognised as stale by its epoch and dropped on delivery.
    this.subscriptions.assign(assignments);
    this.fetcher.schedule();
  }

  /** The assigned partitions (group mode: the partitions the member holds now). */
  assignment(): TopicPartition[] {
    return this.subscriptions.assignment();
  }

  /** Continues an assigned partition from `offset`; messages fetched before are dropped. */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: number }): void {
    checkOffset(offset);
    this.subscriptions.assigned(topic, partition, 'seek').seek(offset);
    this.fetcher.schedule();
  }

  /** The next offset to be delivered per partition (null while not yet resolved). */
  position(topic: string, partition: number): number | null {
    return this.subscriptions.assigned(topic, partition, 'position').position;
  }

  /** Stops fetching the given partitions; undelivered messages are fetched again on resume. */
  pause(selection: TopicPartitionsSelection): void {
    for (const s of this.subscriptions.select(selection, 'pause')) this.pauseState(s);
  }

  resume(selection: TopicPartitionsSelection): void {
    for (const s of this.subscriptions.select(selection, 'resume')) s.paused = false;
    this.fetcher.schedule();
  }

  /** The paused partitions. */
  paused(): TopicPartition[] {
    return [...this.subscriptions.all()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /**
   * Starts consuming in the background with `eachMessage` or `eachBatch`; resolves once started
   * (group mode: the member is joining). Failures that retries cannot fix emit `consumer.crash`
   * and stop consumption.
   */
  async run(handlers: RunOptions<B>): Promise<void> {
    if (!handlers || (typeof handlers.eachMessage !== 'function') === (typeof handlers.eachBatch !== 'function')) {
      throw new StrataArgumentError('run: pass exactly one of eachMessage and eachBatch');
    }
    const concurrency = handlers.partitionsConsumedConcurrently;
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      throw new StrataArgumentError(`run: partitionsConsumedConcurrently must be an integer >= 1, got ${String(concurrency)}`);
    }
    this.begin('run');
    const runner = new Runner<B>({
      delivery: this.delivery,
      handlers,
      tracker: this.tracker,
      retrier: this.retrier,
      clock: this.clock,
      logger: this.logger,
      events: this.events,
      pause: (s) => this.pauseState(s),
      onRewind: () => this.fetcher.schedule(),
      onCrash: (error) => this.crash(error),
    });
    this.runner = runner;
    this.runLoop = runner.loop();
  }

  /** Messages one by one: `for await (const message of consumer)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ConsumerMessage<B>> {
    const session = this.begin('iterate');
    return new MessageIterator(this.iteratorContext(session));
  }

  /** Batches (one partition, one fetch each): `for await (const batch of consumer.batches())`. */
  batches(): AsyncIterableIterator<MessageBatch<B>> {
    const session = this.begin('iterate');
    return new BatchIterator(this.iteratorContext(session));
  }

  /**
   * Stops run() or iteration, waiting for a running handler to return. Assign mode: stays
   * connected and assigned. Group mode: commits what was processed (with auto-commit) and leaves
   * the group; consuming again rejoins it.
   */
  async stop(): Promise<void> {
    if (this.mode === 'idle') return;
    this.stopping ??= this.doStop();
    await this.stopping;
  }

  private async doStop(): Promise<void> {
    this.runner?.stop();
    this.fetcher.stop();
    // Stays closed until the next consumption begins: a next() of an ended iteration returns done.
    this.buffer.close();
    try {
      await this.runLoop;
      await this.group?.stop();
    } finally {
      for (const s of this.subscriptions.all()) s.rewind();
      this.delivery.reset();
      this.buffer.clear();
      this.runner = null;
      this.runLoop = null;
      this.mode = 'idle';
      this.stopping = null;
      this.events.emit('consumer.stop', {});
    }
  }

  private begin(mode: Exclude<Mode, 'idle'>): number {
    if (!this.connected) throw new StrataClosedError('consumer is not connected: call connect() first');
    if (this.mode !== 'idle') throw new StrataArgumentError(`the consumer is already consuming (${this.mode === 'run' ? 'run()' : 'an iterator'}); stop() it first`);
    this.group?.start();
    this.mode = mode;
    this.session++;
    this.buffer.reopen();
    this.tracker.reset();
    this.fetcher.start();
    return this.session;
  }

  private iteratorContext(session: number): IteratorContext<B> {
    return {
      delivery: this.delivery,
      tracker: this.tracker,
      isActive: () => this.session === session && this.mode === 'iterate',
      // Stops consumption if `session` is still the current one (an ended iterator stops nothing newer).
      onEnd: async () => {
        if (this.session === session) await this.stop();
      },
    };
  }

  private pauseState(s: PartitionState): () => void {
    if (!s.paused) {
      s.paused = true;
      if (s.processing) s.rewindPending = true;
      else s.rewind();
    }
    return () => {
      s.paused = false;
      this.fetcher.schedule();
    };
  }

  private crash(error: Error): void {
    if (this.mode === 'idle') return;
    this.logger.error(`consumer crashed: ${error.message}`, { error });
    this.fetcher.stop();
    this.runner?.stop();
    this.buffer.fail(error);
    this.events.emit('consumer.crash', { error });
    // An iterator rethrows the error from its next next() call and then stops; run() stops now.
    if (this.mode === 'run') void this.stop();
  }
}
