/** Instrumentation events of broker connections (emitted through every component's `on()`). */

export interface ConnectionEvents {
  /** A connection completed its handshake. */
  'connection.connect': { url: string; brokerId: number; clusterId: string; brokerVersion: string };
  /** A connection closed; `error` says why when it was not closed on purpose. */
  'connection.close': { url: string; code: number; reason: string; error?: Error };
  /** A response arrived (or, for requests without one, the request was written). */
  'connection.request': {
    url: string;
    apiName: string;
    apiVersion: number;
    correlationId: number;
    requestBytes: number;
    responseBytes: number;
    durationMs: number;
  };
  /** A request got no response within its timeout. */
  'connection.request_timeout': { url: string; apiName: string; correlationId: number; timeoutMs: number };
  /** A response reported a quota throttle: nothing more is sent to this broker for `throttleMs`. */
  'connection.throttle': { url: string; apiName: string; throttleMs: number };
  /** The connection (re-)authenticated; `sessionLifetimeMs` 0: the session does not expire. */
  'connection.authenticate': { url: string; mechanism: string; sessionLifetimeMs: number; reauthentication: boolean };
}

/** Where a component's code emits events; implemented by InstrumentationEmitter. */
export interface EventSink<Events> {
  listening(type: keyof Events & string): boolean;
  emit<K extends keyof Events & string>(type: K, payload: Events[K]): void;
}
