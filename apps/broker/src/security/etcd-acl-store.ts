/**
 * EtcdAclStore: the ACLs of a cluster, in etcd, shared by every broker (the AclStore of a broker
 * with etcd.endpoints set). One key per binding, `<prefix>/security/acls/<id>`, whose id is the
 * SHA-256 of the binding's fields: an identical binding is the same key, so it is kept once.
 *
 * Writes are transactions with compare-and-swap: add() creates the keys that do not exist yet,
 * comparing that each is still absent; remove() deletes the bindings its filters matched when it
 * read them, comparing each key's mod revision. A transaction that loses a race to another
 * broker's write reads again and retries, so two admins never lose each other's change. Up to
 * 64 bindings change in one transaction (etcd limits operations per transaction); larger
 * requests are applied in several, in order. A write resolves once this broker's copy reflects
 * it; other brokers see it when their watch delivers it.
 *
 * all() is synchronous, from an in-memory copy kept current by an EtcdMirror (load, then a watch
 * from the load's revision + 1; read again whole when the watch fails or was compacted).
 * Event loop only.
 */
import { createHash } from 'node:crypto';
import { ERRORS, StrataError } from '@strata/protocol';
import { matchesFilter, validateBinding, type AclBinding, type AclFilter } from './acl';
import type { AclStore } from './acl-store';
import { EtcdMirror } from '../cluster/etcd-mirror';
import type { EtcdStoreOptions } from './etcd-credential-store';

const MAX_ATTEMPTS = 50;
const KEYS_PER_TXN = 64;

/** The binding's key id: SHA-256 of its fields in a fixed order. */
export function aclId(b: AclBinding): string {
  const canonical = JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission]);
  return createHash('sha256').update(canonical).digest('hex');
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += KEYS_PER_TXN) out.push(items.slice(i, i + KEYS_PER_TXN));
  return out;
}

export class EtcdAclStore implements AclStore {
  /** By key id; `list` is the same bindings in key order, rebuilt on change (read on every request). */
  private readonly byId = new Map<string, AclBinding>();
  private list: readonly AclBinding[] = [];
  private readonly mirror: EtcdMirror;

  constructor(private readonly o: EtcdStoreOptions) {
    const prefix = o.layout.aclsPrefix;
    this.mirror = new EtcdMirror({
      client: o.client,
      prefix,
      logger: o.logger,
      what: 'ACLs',
      onReset: (kvs) => {
        this.byId.clear();
        for (const kv of kvs) this.put(kv.key.toString('utf8').slice(prefix.length), kv.value);
        this.rebuild();
      },
      onChange: (key, value) => {
        const id = key.slice(prefix.length);
        if (value === null) this.byId.delete(id);
        else this.put(id, value);
        this.rebuild();
      },
    });
  }

  private put(id: string, raw: Buffer): void {
    const b = this.decode(id, raw);
    if (b) this.byId.set(id, b);
  }

  private decode(id: string, raw: Buffer): AclBinding | null {
    try {
      return validateBinding(JSON.parse(raw.toString('utf8')) as Parameters<typeof validateBinding>[0]); // validated here
    } catch (e) {
      this.o.logger.error({ key: this.o.layout.acl(id), err: e }, 'undecodable ACL in etcd; ignored');
      return null;
    }
  }

  private rebuild(): void {
    this.list = [...this.byId.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, b]) => b);
  }

  load(): Promise<void> {
    return this.mirror.load();
  }

  all(): readonly AclBinding[] {
    return this.list;
  }

  async add(bindings: readonly AclBinding[]): Promise<void> {
    const unique = new Map(bindings.map((b) => [aclId(b), b]));
    for (const chunk of chunks([...unique.entries()])) await this.addChunk(chunk);
  }

  private async addChunk(entries: ReadonlyArray<[string, AclBinding]>): Promise<void> {
    const { client, layout } = this.o;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const existing = await Promise.all(entries.map(([id]) => client.get(layout.acl(id)).exec()));
      const missing = entries.filter((_, i) => existing[i]!.kvs.length === 0);
      if (missing.length === 0) return;
      let txn = client.if(layout.acl(missing[0]![0]), 'Version', '==', 0);
      for (const [id] of missing.slice(1)) txn = txn.and(layout.acl(id), 'Version', '==', 0);
      const res = await txn.then(...missing.map(([id, b]) => client.put(layout.acl(id)).value(JSON.stringify(b)))).commit();
      if (res.succeeded) {
        await this.mirror.caughtUp(Number(res.header.revision));
        return;
      }
    }
    throw new StrataError(ERRORS.REQUEST_TIMED_OUT, `ACLs kept changing in etcd; ${MAX_ATTEMPTS} attempts to add them lost the race`);
  }

  async remove(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const { client, layout } = this.o;
    const matches = (b: AclBinding) => filters.some((f) => matchesFilter(b, f));
    // Bindings deleted by this call so far (a retry after a lost race keeps what earlier chunks did).
    const gone = new Map<string, AclBinding>();
    const result = () => filters.map((f) => [...gone.values()].filter((b) => matchesFilter(b, f)));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const res = await client.getAll().prefix(layout.aclsPrefix).exec();
      const doomed: Array<{ key: string; id: string; mod: string; binding: AclBinding }> = [];
      for (const kv of res.kvs) {
        const key = kv.key.toString('utf8');
        const id = key.slice(layout.aclsPrefix.length);
        const binding = this.decode(id, kv.value);
        if (binding && matches(binding)) doomed.push({ key, id, mod: kv.mod_revision, binding });
      }
      let lost = false;
      let revision = 0;
      for (const chunk of chunks(doomed)) {
        let txn = client.if(chunk[0]!.key, 'Mod', '==', chunk[0]!.mod);
        for (const r of chunk.slice(1)) txn = txn.and(r.key, 'Mod', '==', r.mod);
        const out = await txn.then(...chunk.map((r) => client.delete().key(r.key))).commit();
        if (!out.succeeded) {
          lost = true;
          break;
        }
        for (const r of chunk) gone.set(r.id, r.binding);
        revision = Number(out.header.revision);
      }
      if (revision > 0) await this.mirror.caughtUp(revision);
      if (!lost) return result();
    }
    throw new StrataError(ERRORS.REQUEST_TIMED_OUT, `ACLs kept changing in etcd; ${MAX_ATTEMPTS} attempts to remove them lost the race`);
  }

  close(): Promise<void> {
    return this.mirror.close();
  }
}
