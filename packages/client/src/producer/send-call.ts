/**
 * SendCall: the one promise of one send() / sendBatch() call, and its results.
 *
 * Invariants: `remaining` counts messages not yet settled (acknowledged or failed); the promise
 * settles once, when it reaches 0: resolved with every message's `{ topic, partition, offset }` in
 * input order, or rejected with a StrataSendError when any message failed (or with the single
 * error that stopped the whole call before any message was handed over). Batches settle runs of
 * consecutive messages at once, so the hot path allocates nothing per message but its result.
 * Single-threaded.
 */
import { StrataError } from '@strata/protocol';
import { StrataSendError } from '../errors';
import type { RecordMetadata } from './producer-types';

export class SendCall {
  /** A call of no message (never settles, nobody awaits it): a placeholder where a call is required. */
  static readonly none: SendCall = new SendCall(0);

  readonly promise: Promise<RecordMetadata[]>;
  readonly results: RecordMetadata[];
  private remaining: number;
  private failures: Array<{ index: number; error: StrataError }> | null = null;
  private resolveFn!: (results: RecordMetadata[]) => void;
  private rejectFn!: (error: Error) => void;
  private settled = false;
  /** Called once when the call settles (the producer's flush bookkeeping). */
  onSettled: ((call: SendCall) => void) | null = null;

  constructor(readonly total: number) {
    this.results = new Array<RecordMetadata>(total);
    this.remaining = total;
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** Messages [first, first + count) were written at offsets baseOffset, baseOffset + 1, ... (-1: unknown). */
  acknowledge(first: number, count: number, topic: string, partition: number, baseOffset: number): void {
    const results = this.results;
    for (let i = 0; i < count; i++) results[first + i] = { topic, partition, offset: baseOffset < 0 ? -1 : baseOffset + i };
    this.settle(count);
  }

  /** Messages [first, first + count) failed with `error`. */
  fail(first: number, count: number, error: StrataError): void {
    const failures = (this.failures ??= []);
    for (let i = 0; i < count; i++) failures.push({ index: first + i, error });
    this.settle(count);
  }

  /** Fails every message not handed over yet, from `from` on (the call stopped there). */
  abort(from: number, error: StrataError): void {
    if (from === 0 && this.remaining === this.total) {
      this.remaining = 0;
      this.finish(error);
      return;
    }
    this.fail(from, this.total - from, error);
  }

  private settle(count: number): void {
    this.remaining -= count;
    if (this.remaining === 0) this.finish(null);
  }

  private finish(whole: StrataError | null): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled?.(this);
    if (whole) {
      this.rejectFn(whole);
    } else if (this.failures) {
      this.failures.sort((a, b) => a.index - b.index);
      this.rejectFn(new StrataSendError(Array.from(this.results), this.failures)); // holes become undefined
    } else {
      this.resolveFn(this.results);
    }
  }
}
