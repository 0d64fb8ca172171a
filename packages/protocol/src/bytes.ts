/**
 * Bounds-checked reading and writing of big-endian integers and varints on plain Uint8Arrays
 * (no Node Buffer, so the same code runs in browsers).
 *
 * Varints are LEB128: 7 bits per byte, least significant group first, high bit set on every byte
 * but the last. Unsigned varints carry lengths and counts (at most 5 bytes, < 2^31); signed values
 * use zig-zag encoding (at most 8 bytes, |x| < 2^53). A varint longer than its limit, or one that
 * runs past the end of the buffer, is an error, never a silent wrap-around or an out-of-range read.
 */
import { ERRORS, StrataProtocolError } from './errors';

const TWO_32 = 4294967296;
const MAX_UVARINT32_BYTES = 5;
const MAX_VARLONG_BYTES = 8;

export function corrupt(message: string, position?: number): StrataProtocolError {
  return new StrataProtocolError(ERRORS.CORRUPT_MESSAGE, message, position);
}

/** Reads 64-bit big-endian two's complement as a number; rejects values beyond ±2^53. */
export function readInt64(view: DataView, pos: number): number {
  const hi = view.getInt32(pos);
  const lo = view.getUint32(pos + 4);
  if (hi > 0x1fffff || hi < -0x200000) throw corrupt('64-bit integer is outside the safe integer range', pos);
  return hi * TWO_32 + lo;
}

export function writeInt64(view: DataView, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  view.setInt32(pos, hi);
  view.setUint32(pos + 4, value - hi * TWO_32);
}

/** Number of bytes the unsigned varint encoding of `value` (0 <= value < 2^31) takes. */
export function uvarintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes an unsigned varint (0 <= value < 2^31) and returns the position after it. */
export function writeUVarint(buf: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function varlongSize(value: number): number {
  let z = zigzag(value);
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/** Writes a zig-zag signed varint (|value| < 2^52) and returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  let z = zigzag(value);
  if (z < 0x80000000) return writeUVarint(buf, pos, z);
  while (z >= 0x80) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/**
 * A cursor over a byte range that throws a typed CORRUPT_MESSAGE error instead of reading past
 * `end`. Not thread-safe; cheap to create.
 */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw corrupt(`need ${n} bytes but only ${this.end - this.pos} remain`, this.pos);
    }
  }

  /** Unsigned varint of at most 5 bytes whose value is below 2^31. */
  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < MAX_UVARINT32_BYTES; i++) {
      if (pos >= this.end) throw corrupt('varint runs past the end of the data', pos);
      const b = buf[pos++]!;
      if (i === 4 && b > 0x07) throw corrupt('varint is larger than 2^31 - 1', this.pos);
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
      shift += 7;
    }
    throw corrupt('varint is longer than 5 bytes', this.pos);
  }

  /** Zig-zag signed varint of at most 8 bytes. */
  varlong(): number {
    const buf = this.buf;
    let pos = this.pos;
    let z = 0;
    let mul = 1;
    for (let i = 0; i < MAX_VARLONG_BYTES; i++) {
      if (pos >= this.end) throw corrupt('varint runs past the end of the data', pos);
      const b = buf[pos++]!;
      z += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      mul *= 128;
    }
    throw corrupt('signed varint is longer than 8 bytes', this.pos);
  }

  /** `n` bytes as a view into the underlying buffer (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A nullable byte string encoded as uvarint (0 = null, n + 1 = n bytes) then the bytes. */
  nullableBytes(): Uint8Array | null {
    const len = this.uvarint();
    return len === 0 ? null : this.bytes(len - 1);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const textEncoder = new TextEncoder();

/** Decodes UTF-8, rejecting invalid sequences with a typed error. */
export function decodeUtf8(bytes: Uint8Array): string {
  // ASCII fast path: short header keys dominate and TextDecoder has a fixed cost per call.
  if (bytes.length < 32) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]); // a Uint8Array is an array-like of numbers
  }
  try {
    return textDecoder.decode(bytes);
  } catch (cause) {
    throw corrupt(`invalid UTF-8: ${(cause as Error).message}`);
  }
}

/** Number of bytes `s` takes in UTF-8. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 at `pos` (the caller has reserved utf8Length(s) bytes); returns the end. */
export function writeUtf8(buf: Uint8Array, pos: number, s: string, byteLength: number): number {
  if (byteLength === s.length) {
    for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + byteLength;
  }
  const { written } = textEncoder.encodeInto(s, buf.subarray(pos, pos + byteLength));
  return pos + written;
}

export function encodeUtf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

export function dataView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
