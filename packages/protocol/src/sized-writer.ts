/**
 * Encoding a protobuf message into one exactly-sized buffer, copying each byte once.
 *
 * protobufjs's Writer grows its buffer by doubling (each growth copies what was written) and, for
 * every nested message, reserves one byte for the length and shifts the whole nested message
 * forward when the length needs more (copyWithin); finish() then copies everything once more. For
 * a Produce request or a Fetch response, whose bodies are mostly record bytes nested three levels
 * deep, that is five to seven copies of every record byte.
 *
 * encodeSized() runs the generated encoder twice: first with a LengthCounter, which writes nothing
 * and records the length of every nested message in the order they open, then with an
 * ExactWriter over a buffer of the counted size, which writes each nested message's length before
 * its content (known from the first pass) and never grows. The bytes are identical to protobufjs's
 * own encoding (canonical varints), which the golden fixtures check.
 *
 * Both writers are single-use and single-threaded.
 */
import { Writer, util } from 'protobufjs/minimal';

function varint32Size(value: number): number {
  const v = value >>> 0;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

type Int64 = number | string | { low: number; high: number; unsigned?: boolean };

function varint64Size(value: Int64): number {
  return util.LongBits.from(value as number).length();
}

/** First pass: counts bytes and records the length of each nested message, in opening order. */
class LengthCounter extends Writer {
  readonly lengths: number[] = [];
  private readonly open: Array<{ start: number; index: number }> = [];

  override uint32(value: number): Writer {
    this.pos += varint32Size(value);
    return this;
  }

  override int32(value: number): Writer {
    this.pos += (value | 0) < 0 ? 10 : varint32Size(value);
    return this;
  }

  override sint32(value: number): Writer {
    this.pos += varint32Size(((value << 1) ^ (value >> 31)) >>> 0);
    return this;
  }

  override uint64(value: Int64): Writer {
    this.pos += varint64Size(value);
    return this;
  }

  override int64(value: Int64): Writer {
    this.pos += varint64Size(value);
    return this;
  }

  override sint64(value: Int64): Writer {
    this.pos += util.LongBits.from(value as number).zzEncode().length();
    return this;
  }

  override bool(): Writer {
    this.pos += 1;
    return this;
  }

  override fixed32(): Writer {
    this.pos += 4;
    return this;
  }

  override sfixed32(): Writer {
    this.pos += 4;
    return this;
  }

  override float(): Writer {
    this.pos += 4;
    return this;
  }

  override fixed64(): Writer {
    this.pos += 8;
    return this;
  }

  override sfixed64(): Writer {
    this.pos += 8;
    return this;
  }

  override double(): Writer {
    this.pos += 8;
    return this;
  }

  override bytes(value: Uint8Array | string): Writer {
    const len = typeof value === 'string' ? util.base64.length(value) : value.length;
    this.pos += len === 0 ? 1 : varint32Size(len) + len;
    return this;
  }

  override string(value: string): Writer {
    const len = util.utf8.length(value);
    this.pos += varint32Size(len) + len;
    return this;
  }

  override raw(value: Uint8Array): Writer {
    this.pos += value.length;
    return this;
  }

  override fork(): Writer {
    this.open.push({ start: this.pos, index: this.lengths.length });
    this.lengths.push(0);
    return this;
  }

  override ldelim(): Writer {
    const o = this.open.pop();
    if (!o) throw new Error('ldelim without fork');
    const len = this.pos - o.start;
    this.lengths[o.index] = len;
    this.pos += varint32Size(len);
    return this;
  }

  // Packed repeated fields: a length, then the values.
  override uint32s(values: number[]): Writer {
    let n = 0;
    for (const v of values) n += varint32Size(v);
    this.pos += varint32Size(n) + n;
    return this;
  }

  override int32s(values: number[]): Writer {
    let n = 0;
    for (const v of values) n += (v | 0) < 0 ? 10 : varint32Size(v);
    this.pos += varint32Size(n) + n;
    return this;
  }

  override sint32s(values: number[]): Writer {
    let n = 0;
    for (const v of values) n += varint32Size(((v << 1) ^ (v >> 31)) >>> 0);
    this.pos += varint32Size(n) + n;
    return this;
  }
}

/** Second pass: writes into a buffer of exactly the counted size; nested lengths come from the first pass. */
class ExactWriter extends Writer {
  private next = 0;

  constructor(
    size: number,
    private readonly lengths: readonly number[],
    alloc?: (size: number) => Uint8Array,
  ) {
    super();
    // Every byte is written (the size is exact), so a reused buffer with old contents is fine.
    this.buf = alloc ? alloc(size) : size > 0 ? new Uint8Array(size) : new Uint8Array(0);
  }

  /** Never grows: the first pass counted every byte (a miscount fails in encodeSized). */
  _reserve(): void {
    // nothing to do
  }

  override fork(): Writer {
    const len = this.lengths[this.next++];
    if (len === undefined) throw new Error('more nested messages than counted');
    return this.uint32(len);
  }

  override ldelim(): Writer {
    return this;
  }
}

/**
 * Encodes with `encode` (a generated encoder applied to the message, writing into the writer it
 * is given) after `prefix` (e.g. a frame header), into one buffer of exactly the encoded size,
 * from `alloc` when given (it must return exactly `size` bytes; their contents do not matter).
 */
export function encodeSized(encode: (writer: Writer) => Writer, prefix?: Uint8Array, alloc?: (size: number) => Uint8Array): Uint8Array {
  const counter = new LengthCounter();
  if (prefix) counter.raw(prefix);
  encode(counter);
  const size = counter.pos;
  const writer = new ExactWriter(size, counter.lengths, alloc);
  if (prefix) writer.raw(prefix);
  encode(writer);
  if (writer.pos !== size || writer.buf.length !== size) {
    throw new Error(`sized encoding wrote ${writer.pos} bytes into a buffer of ${writer.buf.length}, counted ${size}`);
  }
  return writer.buf;
}
