/**
 * EtcdMirror: an in-memory copy of every key under one etcd prefix, kept current by a watch.
 *
 * load() reads the prefix whole and watches from the read's revision + 1, so no change between
 * the read and the watch is missed. When the watch ends with an error (its start revision was
 * compacted away, the stream was cancelled), the prefix is read whole again and the owner is told
 * to rebuild (onReset); meanwhile the previous copy keeps serving. Transient disconnects are
 * resumed by the etcd3 client from the last revision seen.
 *
 * `revision` is the latest etcd revision the copy reflects; a writer awaits `caughtUp(rev)` after
 * its own transaction, so this broker reads its own writes at once (other brokers see them when
 * their watch delivers them: milliseconds).
 *
 * Event loop only; callbacks run synchronously inside the watch's event handlers.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Logger } from 'pino';

export interface EtcdMirrorOptions {
  client: Etcd3;
  prefix: string;
  logger: Logger;
  /** What the mirror holds, for log lines ("ACLs", "SCRAM credentials"). */
  what: string;
  /** The whole prefix was read (load or re-load): replace the copy with these keys. */
  onReset: (kvs: readonly IKeyValue[]) => void;
  /** One key changed (value null: deleted). */
  onChange: (key: string, value: Buffer | null) => void;
}

export class EtcdMirror {
  private watcher: Watcher | null = null;
  private rev = 0;
  private closed = false;
  private reloading: Promise<void> | null = null;
  private readonly waiters = new Set<{ revision: number; resolve: () => void }>();

  constructor(private readonly o: EtcdMirrorOptions) {}

  get revision(): number {
    return this.rev;
  }

  /** Reads the prefix and starts watching it; rejects when etcd cannot be read. */
  async load(): Promise<void> {
    await this.readAll();
    await this.watchFrom(this.rev + 1);
  }

  /** Resolves once the copy reflects `revision` (or the mirror is closed). */
  caughtUp(revision: number): Promise<void> {
    if (this.rev >= revision || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ revision, resolve }));
  }

  private async readAll(): Promise<void> {
    const res = await this.o.client.getAll().prefix(this.o.prefix).exec();
    this.o.onReset(res.kvs);
    this.advance(Number(res.header.revision));
  }

  private async watchFrom(revision: number): Promise<void> {
    const watcher = await this.o.client.watch().prefix(this.o.prefix).startRevision(String(revision)).create();
    if (this.closed) {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.watcher = watcher;
    watcher.on('put', (kv: IKeyValue) => this.onEvent(kv, false));
    watcher.on('delete', (kv: IKeyValue) => this.onEvent(kv, true));
    watcher.on('error', (err: Error) => {
      if (this.closed || this.watcher !== watcher) return;
      this.o.logger.warn({ err, prefix: this.o.prefix }, `etcd watch of ${this.o.what} failed; reading them again`);
      this.reloading ??= this.reload(watcher).finally(() => (this.reloading = null));
    });
  }

  private onEvent(kv: IKeyValue, deleted: boolean): void {
    this.o.onChange(kv.key.toString('utf8'), deleted ? null : kv.value);
    this.advance(Number(kv.mod_revision));
  }

  private advance(revision: number): void {
    if (revision <= this.rev) return;
    this.rev = revision;
    for (const w of [...this.waiters]) {
      if (w.revision <= revision) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private async reload(old: Watcher): Promise<void> {
    this.watcher = null;
    // etcd3 emits 'error' only for a watch the server cancelled (compaction): it is gone already,
    // and cancel() would wait forever for an answer that never comes.
    old.removeAllListeners();
    for (;;) {
      if (this.closed) return;
      try {
        await this.readAll();
        await this.watchFrom(this.rev + 1);
        this.o.logger.info({ prefix: this.o.prefix, revision: this.rev }, `${this.o.what} read again from etcd`);
        return;
      } catch (e) {
        this.o.logger.warn({ err: e, prefix: this.o.prefix }, `cannot read ${this.o.what} from etcd; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500).unref());
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
  }
}
