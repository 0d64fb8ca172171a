/**
 * KafkaJS instrumentation events on top of the SDK's: each component's `events` map (as in KafkaJS)
 * and `on(eventName, listener)`, which translates the SDK event to KafkaJS's name and payload
 * (offsets as strings, `duration` instead of `durationMs`, `id` as a string...).
 *
 * An unknown event name, or a listener that is not a function, throws (KafkaJS does the same); an
 * event this layer cannot produce (`*.network.request_queue_size`) throws KafkaJSNotImplemented
 * instead of never firing. Listeners get `{ id, type, timestamp, payload }` and on() returns the
 * function that removes them.
 */
import { ApiKey, type ApiName } from '@strata/protocol';
import type { InstrumentationEvent as StrataEvent, Unsubscribe } from '../instrumentation';
import { KafkaJSNonRetriableError, notSupported } from './errors';

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener<T> = (type?: T) => void;

/** Subscribes to an SDK event by name: the `on` of an SDK component. */
export type StrataOn = (type: string, listener: (event: StrataEvent<unknown>) => void) => Unsubscribe;

/** The `on` of an SDK component (Producer, Consumer, Admin), taking any event name. */
export function strataOn(component: { on(type: never, listener: never): Unsubscribe }): StrataOn {
  // The components' on() is typed per event name; routes name SDK events by string.
  return (component.on as unknown as StrataOn).bind(component);
}

/** How one KafkaJS event is produced: from which SDK event, with which payload (undefined: skip this one). */
export interface Route {
  from: string;
  payload: (payload: never, event: StrataEvent<unknown>) => unknown;
}

export const ProducerEvents = Object.freeze({
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const);

export const AdminEvents = Object.freeze({
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
} as const);

export const ConsumerEvents = Object.freeze({
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const);

export type ProducerEvents = typeof ProducerEvents;
export type AdminEvents = typeof AdminEvents;
export type ConsumerEvents = typeof ConsumerEvents;

function hostPort(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The network routes every component shares (REQUEST and REQUEST_TIMEOUT). */
export function networkRoutes(clientId: string): Record<'REQUEST' | 'REQUEST_TIMEOUT', Route> {
  return {
    REQUEST: {
      from: 'connection.request',
      payload: (p: { url: string; apiName: string; apiVersion: number; correlationId: number; responseBytes: number; durationMs: number }, e) => ({
        apiKey: ApiKey[p.apiName as ApiName] ?? -1,
        apiName: p.apiName,
        apiVersion: p.apiVersion,
        broker: hostPort(p.url),
        clientId,
        correlationId: p.correlationId,
        createdAt: e.timestamp - p.durationMs,
        sentAt: e.timestamp - p.durationMs,
        pendingDuration: 0,
        duration: p.durationMs,
        size: p.responseBytes,
      }),
    },
    REQUEST_TIMEOUT: {
      from: 'connection.request_timeout',
      payload: (p: { url: string; apiName: string; correlationId: number; timeoutMs: number }, e) => ({
        apiKey: ApiKey[p.apiName as ApiName] ?? -1,
        apiName: p.apiName,
        apiVersion: -1,
        broker: hostPort(p.url),
        clientId,
        correlationId: p.correlationId,
        createdAt: e.timestamp - p.timeoutMs,
        sentAt: e.timestamp - p.timeoutMs,
        pendingDuration: 0,
      }),
    },
  };
}

/** KafkaJS's payload-less events: `null`. */
export const nullPayload = (): null => null;

/** A KafkaJS event this layer cannot produce, with the reason given when a program subscribes. */
export interface Unsupported {
  unsupported: string;
}

export const QUEUE_SIZE: Unsupported = { unsupported: 'the SDK queues requests beyond maxInFlightRequests without reporting the queue size' };

/** An event the layer emits itself (through EventRouter.emit), not translated from the SDK. */
export const LOCAL = Object.freeze({ local: true } as const);

/** A route per key of the component's `events` map; null: the condition never occurs with Strata (documented). */
export type Routes = Readonly<Record<string, Route | Unsupported | typeof LOCAL | null>>;

/**
 * Listener bookkeeping of one KafkaJS component: validates names, translates, and re-attaches
 * listeners to a new SDK component when the layer replaces it (a consumer rebuilt by run()).
 */
export class EventRouter {
  private readonly subscriptions = new Set<{ route: Route; type: string; listener: (event: InstrumentationEvent<unknown>) => void; detach: Unsubscribe }>();
  private attached: StrataOn | null = null;
  private readonly local = new Map<string, Set<(event: InstrumentationEvent<unknown>) => void>>();
  private nextLocalId = 0;

  constructor(
    private readonly names: Readonly<Record<string, string>>,
    private readonly routes: Routes,
  ) {}

  on(eventName: string, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<string> {
    const key = Object.keys(this.names).find((k) => this.names[k] === eventName);
    if (key === undefined) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.values(this.names).join(', ')}, got ${JSON.stringify(eventName)}`);
    }
    if (typeof listener !== 'function') throw new KafkaJSNonRetriableError(`the listener of ${eventName} must be a function, got ${typeof listener}`);
    const route = this.routes[key];
    if (route === undefined) throw new Error(`no route for ${eventName}`);
    if (route !== null && 'unsupported' in route) throw notSupported(`on('${eventName}')`, route.unsupported);
    if (route === null) return () => undefined; // an event whose condition cannot occur with Strata (documented)
    if ('local' in route) {
      const set = this.local.get(key) ?? new Set();
      this.local.set(key, set);
      const l = listener as (event: InstrumentationEvent<unknown>) => void;
      set.add(l);
      return () => set.delete(l);
    }
    const sub = { route, type: eventName, listener: listener as (event: InstrumentationEvent<unknown>) => void, detach: (() => undefined) as Unsubscribe };
    this.subscriptions.add(sub);
    if (this.attached) sub.detach = this.attach(this.attached, sub);
    return () => {
      sub.detach();
      this.subscriptions.delete(sub);
    };
  }

  /** Emits an event the layer produces itself (its route is LOCAL). */
  emit(key: string, payload: unknown): void {
    const set = this.local.get(key);
    if (!set) return;
    const event = { id: `local-${this.nextLocalId++}`, type: this.names[key]!, timestamp: Date.now(), payload };
    for (const l of [...set]) l(event);
  }

  /** Attaches every listener to `on` (the current SDK component), detaching them from the previous one. */
  bind(on: StrataOn): void {
    for (const sub of this.subscriptions) sub.detach();
    this.attached = on;
    for (const sub of this.subscriptions) sub.detach = this.attach(on, sub);
  }

  private attach(on: StrataOn, sub: { route: Route; type: string; listener: (event: InstrumentationEvent<unknown>) => void }): Unsubscribe {
    return on(sub.route.from, (event) => {
      const payload = sub.route.payload(event.payload as never, event);
      if (payload === undefined) return;
      sub.listener({ id: String(event.id), type: sub.type, timestamp: event.timestamp, payload });
    });
  }
}
