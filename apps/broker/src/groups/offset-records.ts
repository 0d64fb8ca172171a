/**
 * Record layout of the internal `__consumer_offsets` topic (compacted: the latest record per key
 * wins, a null value deletes the key). All integers big-endian.
 *
 * Key, version 1 (an offset commit):
 *   int16 key version (1) | uint16 group length | group UTF-8 | uint16 topic length | topic UTF-8 |
 *   int32 partition
 * Value, version 1:
 *   int16 value version (1) | int64 committed offset | int32 committed leader epoch (-1: unknown) |
 *   int64 commit timestamp (ms) | int32 metadata length | metadata UTF-8
 *
 * Key versions other than 1 are reserved (group metadata may be stored later) and skipped by this
 * version's loader, as are records it cannot decode, so a newer broker's records never stop an
 * older one from starting.
 */
import { decodeUtf8, encodeUtf8, readInt64, writeInt64 } from '@strata/protocol';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const OFFSET_COMMIT_VALUE_VERSION = 1;

export interface OffsetKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  commitTimestamp: number;
  metadata: string;
}

export function encodeOffsetKey(key: OffsetKey): Uint8Array {
  const group = encodeUtf8(key.group);
  const topic = encodeUtf8(key.topic);
  if (group.length > 0xffff || topic.length > 0xffff) throw new RangeError('group or topic name too long for an offset key');
  const out = new Uint8Array(2 + 2 + group.length + 2 + topic.length + 4);
  const view = new DataView(out.buffer);
  let pos = 0;
  view.setInt16(pos, OFFSET_COMMIT_KEY_VERSION);
  pos += 2;
  view.setUint16(pos, group.length);
  out.set(group, pos + 2);
  pos += 2 + group.length;
  view.setUint16(pos, topic.length);
  out.set(topic, pos + 2);
  pos += 2 + topic.length;
  view.setInt32(pos, key.partition);
  return out;
}

/** The key, or null for a key version this broker does not handle. Throws on a malformed key. */
export function decodeOffsetKey(bytes: Uint8Array): OffsetKey | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 2) throw new RangeError('offset key too short');
  if (view.getInt16(0) !== OFFSET_COMMIT_KEY_VERSION) return null;
  let pos = 2;
  const str = (): string => {
    const len = view.getUint16(pos);
    if (pos + 2 + len > bytes.length) throw new RangeError('offset key truncated');
    const s = decodeUtf8(bytes.subarray(pos + 2, pos + 2 + len));
    pos += 2 + len;
    return s;
  };
  const group = str();
  const topic = str();
  if (pos + 4 !== bytes.length) throw new RangeError('offset key has a wrong length');
  return { group, topic, partition: view.getInt32(pos) };
}

export function encodeOffsetValue(value: OffsetValue): Uint8Array {
  const metadata = encodeUtf8(value.metadata);
  const out = new Uint8Array(2 + 8 + 4 + 8 + 4 + metadata.length);
  const view = new DataView(out.buffer);
  view.setInt16(0, OFFSET_COMMIT_VALUE_VERSION);
  writeInt64(view, 2, value.offset);
  view.setInt32(10, value.leaderEpoch);
  writeInt64(view, 14, value.commitTimestamp);
  view.setInt32(22, metadata.length);
  out.set(metadata, 26);
  return out;
}

/** Throws on a malformed or unknown-version value. */
export function decodeOffsetValue(bytes: Uint8Array): OffsetValue {
  if (bytes.length < 26) throw new RangeError('offset value too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getInt16(0);
  if (version !== OFFSET_COMMIT_VALUE_VERSION) throw new RangeError(`unknown offset value version ${version}`);
  const len = view.getInt32(22);
  if (len < 0 || 26 + len !== bytes.length) throw new RangeError('offset value has a wrong length');
  return {
    offset: readInt64(view, 2),
    leaderEpoch: view.getInt32(10),
    commitTimestamp: readInt64(view, 14),
    metadata: decodeUtf8(bytes.subarray(26)),
  };
}

/** Partition of `__consumer_offsets` holding a group's commits: Java's String.hashCode, mod n. */
export function offsetsPartitionFor(group: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < group.length; i++) h = (Math.imul(31, h) + group.charCodeAt(i)) | 0;
  return (h >>> 0) % partitions;
}
