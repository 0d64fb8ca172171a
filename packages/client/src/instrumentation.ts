/**
 * Instrumentation events, namespaced by component (`connection.close`, `producer.request`,
 * `consumer.fetch`...). `on()` returns a function that removes the listener. Emitting is cheap
 * when nobody listens: callers check `listening(type)` before building a payload on hot paths.
 *
 * A listener that throws is logged and ignored: observers never break the SDK.
 * Not shared across threads; listeners run synchronously, in registration order.
 */
import type { Clock } from './clock';
import type { Logger } from './logger';

export interface InstrumentationEvent<P> {
  /** Increasing per emitter. */
  id: number;
  type: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  payload: P;
}

export type EventListener<P> = (event: InstrumentationEvent<P>) => void;

/** Removes the listener it was returned for; calling it again does nothing. */
export type Unsubscribe = () => void;

export class InstrumentationEmitter<Events extends object> {
  private readonly listeners = new Map<string, Array<EventListener<never>>>();
  private nextId = 0;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  on<K extends keyof Events & string>(type: K, listener: EventListener<Events[K]>): Unsubscribe {
    const list = this.listeners.get(type) ?? [];
    list.push(listener as EventListener<never>);
    this.listeners.set(type, list);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const current = this.listeners.get(type);
      if (!current) return;
      const i = current.indexOf(listener as EventListener<never>);
      if (i >= 0) current.splice(i, 1);
      if (current.length === 0) this.listeners.delete(type);
    };
  }

  listening(type: keyof Events & string): boolean {
    return this.listeners.has(type);
  }

  emit<K extends keyof Events & string>(type: K, payload: Events[K]): void {
    const list = this.listeners.get(type);
    if (!list) return;
    const event: InstrumentationEvent<Events[K]> = { id: this.nextId++, type, timestamp: this.clock.now(), payload };
    for (const listener of [...list]) {
      try {
        (listener as EventListener<Events[K]>)(event);
      } catch (error) {
        this.logger.error(`listener of ${type} threw`, { error });
      }
    }
  }
}
