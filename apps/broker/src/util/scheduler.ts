/**
 * Timers, injected wherever behaviour depends on a timeout firing (the group coordinator's
 * session and rebalance timeouts), so tests move time by hand instead of sleeping.
 *
 * `systemScheduler` uses real, unref'd timers (a pending timeout never keeps the process alive).
 * `ManualScheduler` owns a ManualClock; `advance(ms)` moves it and runs every task that has come
 * due, in due-time order (ties in scheduling order), each with the clock set to its due time.
 * Both are single-threaded: tasks run on the event loop, never inside `schedule`.
 */
import { ManualClock, systemClock, type Clock } from './clock';

/** Cancels a scheduled task; harmless after the task ran or was cancelled. */
export type Cancel = () => void;

export interface Scheduler {
  readonly clock: Clock;
  /** Runs `task` once, `delayMs` from now. */
  schedule(delayMs: number, task: () => void): Cancel;
}

export const systemScheduler: Scheduler = {
  clock: systemClock,
  schedule(delayMs, task) {
    const timer = setTimeout(task, Math.max(0, delayMs));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface ManualTask {
  due: number;
  seq: number;
  task: () => void;
}

/** A scheduler for tests: nothing runs until `advance` (or `runDue`) is called. */
export class ManualScheduler implements Scheduler {
  readonly clock: ManualClock;
  private tasks: ManualTask[] = [];
  private seq = 0;

  constructor(clock: ManualClock = new ManualClock()) {
    this.clock = clock;
  }

  schedule(delayMs: number, task: () => void): Cancel {
    const entry: ManualTask = { due: this.clock.now() + Math.max(0, delayMs), seq: this.seq++, task };
    this.tasks.push(entry);
    return () => {
      this.tasks = this.tasks.filter((t) => t !== entry);
    };
  }

  /** Tasks not yet run. */
  get pending(): number {
    return this.tasks.length;
  }

  /** Moves the clock forward by `ms`, running every task that comes due on the way. */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      if (next.due > this.clock.now()) this.clock.set(next.due);
      this.tasks = this.tasks.filter((t) => t !== next);
      next.task();
    }
    this.clock.set(end);
  }

  /** Runs the tasks already due at the current time. */
  runDue(): void {
    this.advance(0);
  }

  private nextDue(limit: number): ManualTask | undefined {
    let best: ManualTask | undefined;
    for (const t of this.tasks) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/**
 * Runs `task` every `intervalMs` on `scheduler`, the next run counted from the end of the previous
 * one (runs never overlap). Tasks catch and report their own failures: one that throws anyway
 * surfaces as an uncaught error, and the repetition still goes on.
 */
export function repeat(scheduler: Scheduler, intervalMs: number, task: () => void | Promise<void>): Cancel {
  let cancelled = false;
  let cancelNext: Cancel = () => undefined;
  const arm = () => {
    if (cancelled) return;
    cancelNext = scheduler.schedule(intervalMs, () => {
      let result: void | Promise<void> = undefined;
      try {
        result = task();
      } finally {
        if (!(result instanceof Promise)) arm();
      }
      if (result instanceof Promise) {
        void result.then(arm, (e: unknown) => {
          arm();
          throw e;
        });
      }
    });
  };
  arm();
  return () => {
    cancelled = true;
    cancelNext();
  };
}
