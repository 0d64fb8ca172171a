/**
 * What a group member subscribes to: topic names and regular expressions, each with its
 * `fromBeginning` choice. On the wire the member sends the names and one expression, the
 * alternation of every pattern; the broker matches it against whole topic names (as if wrapped in
 * `^(?:...)$`), without flags, and never against internal topics.
 *
 * subscribe() calls add up (like KafkaJS); a change while the member is in the group is sent with
 * its next heartbeat. Single-threaded.
 */
import { topicNameProblem } from '@strata/protocol';
import { StrataArgumentError } from '../../errors';
import type { OffsetResetStrategy } from '../subscription-state';

export interface SubscribeArgs {
  /**
   * Topic names and/or regular expressions. An expression must match the whole topic name
   * (`/orders-.+/` matches `orders-eu`, not `my-orders-eu`), may not use flags other than g, y
   * and d (the broker matches it without flags), and never matches internal topics. Topics that do
   * not exist yet are consumed once they are created.
   */
  topics: string | RegExp | ReadonlyArray<string | RegExp>;
  /**
   * Where to start in a partition the group has no committed offset for: true, the log start;
   * false, the consumer's autoOffsetReset. A committed offset always wins.
   * @default false
   */
  fromBeginning?: boolean;
}

/** The broker's limit on the length of a subscription expression. */
const MAX_REGEX_LENGTH = 1000;
/** Flags that change what an expression matches; the broker would ignore them. */
const MEANINGFUL_FLAGS = /[imsuv]/;

interface Pattern {
  source: string;
  anchored: RegExp;
  fromBeginning: boolean;
}

export class GroupSubscription {
  private readonly names = new Map<string, boolean>();
  private readonly patterns: Pattern[] = [];

  get isEmpty(): boolean {
    return this.names.size === 0 && this.patterns.length === 0;
  }

  /** Adds topics; returns true when the subscription changed. Throws INVALID_ARGUMENT for bad input. */
  add(args: SubscribeArgs): boolean {
    if (!args || typeof args !== 'object') throw new StrataArgumentError('subscribe: expected { topics, fromBeginning? }');
    const list = Array.isArray(args.topics) ? (args.topics as ReadonlyArray<string | RegExp>) : [args.topics as string | RegExp];
    if (list.length === 0) throw new StrataArgumentError('subscribe: topics must not be empty');
    const fromBeginning = args.fromBeginning === true;
    const names: string[] = [];
    const patterns: Pattern[] = [];
    for (const t of list) {
      if (typeof t === 'string') {
        const problem = topicNameProblem(t);
        if (problem) throw new StrataArgumentError(`subscribe: ${problem}`);
        names.push(t);
      } else if (t instanceof RegExp) {
        if (MEANINGFUL_FLAGS.test(t.flags)) {
          throw new StrataArgumentError(`subscribe: /${t.source}/${t.flags} uses flags the broker cannot apply (it matches expressions without flags); write the pattern without i, m, s, u or v`);
        }
        patterns.push({ source: t.source, anchored: new RegExp(`^(?:${t.source})$`), fromBeginning });
      } else {
        throw new StrataArgumentError(`subscribe: expected topic names or regular expressions, got ${typeof t}`);
      }
    }
    let changed = false;
    for (const name of names) {
      const had = this.names.get(name);
      if (had === undefined) {
        this.names.set(name, fromBeginning);
        changed = true;
      } else if (fromBeginning && !had) {
        // fromBeginning sticks: a later subscribe without it does not undo it.
        this.names.set(name, true);
      }
    }
    for (const p of patterns) {
      const existing = this.patterns.find((q) => q.source === p.source);
      if (existing) {
        existing.fromBeginning ||= p.fromBeginning;
        continue;
      }
      this.patterns.push(p);
      changed = true;
    }
    const regex = this.regex();
    if (regex.length > MAX_REGEX_LENGTH) {
      for (const p of patterns) this.patterns.splice(this.patterns.indexOf(p), 1);
      throw new StrataArgumentError(`subscribe: the combined regular expression is longer than ${MAX_REGEX_LENGTH} characters`);
    }
    return changed;
  }

  /** The subscription as the heartbeat carries it. */
  wire(): { names: string[]; regex: string } {
    return { names: [...this.names.keys()].sort(), regex: this.regex() };
  }

  /** How to start a partition of `topic` without a committed offset. */
  resetStrategy(topic: string, fallback: OffsetResetStrategy): OffsetResetStrategy {
    if (this.names.get(topic) === true) return 'earliest';
    for (const p of this.patterns) if (p.fromBeginning && p.anchored.test(topic)) return 'earliest';
    return fallback;
  }

  private regex(): string {
    if (this.patterns.length === 1) return this.patterns[0]!.source;
    return this.patterns.map((p) => `(?:${p.source})`).join('|');
  }
}
