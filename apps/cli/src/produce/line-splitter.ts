/**
 * Splits a byte stream into lines without decoding it: a line ends at "\n" (a "\r" before it is
 * dropped too), and bytes after the last "\n" form a final line at the end of the stream. Lines are
 * views into the chunks read (no copy); UTF-8 is safe to split on the byte 0x0A, which never occurs
 * inside a multi-byte character. Not thread-safe; one instance per stream.
 */
const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private partial: Buffer | null = null;

  /** The complete lines in `chunk` (after any partial line left by the previous chunk). */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    if (this.partial) {
      const firstLf = chunk.indexOf(LF);
      if (firstLf < 0) {
        this.partial = Buffer.concat([this.partial, chunk]);
        return lines;
      }
      lines.push(trimCr(Buffer.concat([this.partial, chunk.subarray(0, firstLf)])));
      this.partial = null;
      start = firstLf + 1;
    }
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) break;
      lines.push(trimCr(chunk.subarray(start, lf)));
      start = lf + 1;
    }
    if (start < chunk.length) this.partial = Buffer.from(chunk.subarray(start)); // copy: the chunk may be reused
    return lines;
  }

  /** The final line when the stream did not end with a newline. */
  end(): Buffer | null {
    const last = this.partial;
    this.partial = null;
    return last === null ? null : trimCr(last);
  }
}

function trimCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}
