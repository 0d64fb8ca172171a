/**
 * What the consumer delivers. Keys, values and header values are views into the fetched bytes (no
 * copy): keep a copy if you hold on to a message long after processing it, or it keeps its whole
 * fetch response alive. The string accessors decode UTF-8 on each call.
 *
 * `B` is the byte type of the entry point: the Node entry delivers `Buffer` views (so
 * `message.value.toString()` is the text, as in KafkaJS), the browser entry plain `Uint8Array`s.
 */

// ignoreBOM: a leading U+FEFF is part of the data, not a marker to strip (the default decoder drops it).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A record header as delivered: the value is null when the producer sent a null value. */
export interface RecordHeader<B extends Uint8Array = Uint8Array> {
  key: string;
  value: B | null;
}

export class ConsumerMessage<B extends Uint8Array = Uint8Array> {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    /** Milliseconds since the epoch. */
    readonly timestamp: number,
    /** null when the record has no key (an empty key is an empty array). */
    readonly key: B | null,
    /** null for a tombstone. */
    readonly value: B | null,
    /** In record order; a key may repeat. */
    readonly headers: ReadonlyArray<RecordHeader<B>>,
  ) {}

  /** The key decoded as UTF-8, or null. */
  keyString(): string | null {
    return this.key === null ? null : utf8.decode(this.key);
  }

  /** The value decoded as UTF-8, or null. */
  valueString(): string | null {
    return this.value === null ? null : utf8.decode(this.value);
  }

  /** The value of the last header named `key`: undefined when there is none, null when its value is null. */
  header(key: string): B | null | undefined {
    const headers = this.headers;
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i]!.value;
    return undefined;
  }

  /** Like header(), decoded as UTF-8. */
  headerString(key: string): string | null | undefined {
    const v = this.header(key);
    return v === undefined || v === null ? v : utf8.decode(v);
  }
}

/** The messages of one partition from one fetch, as given to `eachBatch` and `batches()`. */
export class MessageBatch<B extends Uint8Array = Uint8Array> {
  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The partition's high watermark when fetched. */
    readonly highWatermark: number,
    readonly messages: ReadonlyArray<ConsumerMessage<B>>,
  ) {}

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  firstOffset(): number | null {
    return this.messages[0]?.offset ?? null;
  }

  lastOffset(): number | null {
    return this.messages[this.messages.length - 1]?.offset ?? null;
  }

  /** Records after this batch that were in the partition when it was fetched. */
  offsetLag(): number {
    const last = this.lastOffset();
    return last === null ? 0 : Math.max(0, this.highWatermark - last - 1);
  }
}
