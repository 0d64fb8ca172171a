/**
 * WriteQueue: the batches a log has appended but not yet written, as contiguous runs of one
 * segment's file. An append that continues the last run joins it (up to MAX_BUFFERS_PER_WRITE
 * buffers and MAX_BYTES_PER_WRITE bytes), so the writer issues one large `writev` for everything
 * that arrived while the previous write ran.
 */
import type { LogSegment } from './segment';

export interface PendingWrite {
  segment: LogSegment;
  buffers: Uint8Array[];
  /** File position of the first buffer. */
  position: number;
  bytes: number;
  /** Log offset after the last batch of the run. */
  endOffset: number;
}

const MAX_BUFFERS_PER_WRITE = 1024;
const MAX_BYTES_PER_WRITE = 16 * 1024 * 1024;

export class WriteQueue {
  private readonly runs: PendingWrite[] = [];

  get length(): number {
    return this.runs.length;
  }

  /** The oldest run, if any. */
  peek(): PendingWrite | undefined {
    return this.runs[0];
  }

  shift(): PendingWrite | undefined {
    return this.runs.shift();
  }

  clear(): void {
    this.runs.length = 0;
  }

  /** Queues `bytes` for `segment` at `position`; everything below `endOffset` is then queued. */
  enqueue(segment: LogSegment, bytes: Uint8Array, position: number, endOffset: number): void {
    const last = this.runs[this.runs.length - 1];
    if (
      last &&
      last.segment === segment &&
      last.buffers.length < MAX_BUFFERS_PER_WRITE &&
      last.bytes + bytes.length <= MAX_BYTES_PER_WRITE &&
      last.position + last.bytes === position
    ) {
      last.buffers.push(bytes);
      last.bytes += bytes.length;
      last.endOffset = endOffset;
      return;
    }
    this.runs.push({ segment, buffers: [bytes], position, bytes: bytes.length, endOffset });
  }
}
