/**
 * Where a command's output goes: data on stdout (text or JSON), notes and errors on stderr.
 *
 * Writes honour back-pressure (they resolve once the stream takes more), and a closed stdout (EPIPE,
 * e.g. `strata consume ... | head`) is not an error: `onBrokenPipe` fires once, later writes are
 * dropped, and the command ends quietly with exit code 0.
 */
/** The streams a command writes to (process.stdout and process.stderr, or test doubles). */
export interface OutputStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export class Output {
  private broken = false;
  private readonly brokenListeners = new Set<() => void>();

  constructor(private readonly streams: OutputStreams) {
    streams.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.markBroken();
      else this.note(`error: cannot write to stdout: ${error.message}`);
    });
  }

  /** True once stdout was closed by its reader. */
  get isBroken(): boolean {
    return this.broken;
  }

  /**
   * Calls `listener` once stdout is closed by its reader (at once if it already is). Returns the
   * function that removes the listener.
   */
  onBrokenPipe(listener: () => void): () => void {
    if (this.broken) {
      listener();
      return () => undefined;
    }
    this.brokenListeners.add(listener);
    return () => this.brokenListeners.delete(listener);
  }

  /** Writes text to stdout as is; resolves when the stream can take more. */
  async write(text: string): Promise<void> {
    if (this.broken || text.length === 0) return;
    const stdout = this.streams.stdout;
    if (stdout.write(text)) return;
    await new Promise<void>((resolve) => {
      let removeBroken = (): void => undefined;
      const done = (): void => {
        stdout.off('drain', done);
        stdout.off('close', done);
        removeBroken();
        resolve();
      };
      stdout.on('drain', done);
      stdout.on('close', done);
      removeBroken = this.onBrokenPipe(done);
    });
  }

  /** Writes one line to stdout. */
  line(text: string): Promise<void> {
    return this.write(`${text}\n`);
  }

  /** Writes one value as a line of JSON to stdout. */
  json(value: unknown): Promise<void> {
    return this.line(JSON.stringify(value));
  }

  /** Writes a line to stderr (progress, summaries, errors). */
  note(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  /** Resolves once everything written to stdout has been handed to the OS (or stdout broke). */
  async flush(): Promise<void> {
    if (this.broken) return;
    await new Promise<void>((resolve) => {
      const removeBroken = this.onBrokenPipe(resolve);
      this.streams.stdout.write('', () => {
        removeBroken();
        resolve();
      });
    });
  }

  private markBroken(): void {
    if (this.broken) return;
    this.broken = true;
    const listeners = [...this.brokenListeners];
    this.brokenListeners.clear();
    for (const listener of listeners) listener();
  }
}

/** Formats rows as left-aligned columns separated by two spaces (the last column is not padded). */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
