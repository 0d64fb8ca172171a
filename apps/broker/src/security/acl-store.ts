/**
 * Access control entries behind one interface: LocalAclStore keeps them in `<data.dir>/acls.json`
 * (replaced atomically); a clustered broker keeps them in etcd behind the same interface
 * (EtcdAclStore).
 * The whole list lives in memory after load(); all() is synchronous (the authorizer reads it on
 * every request). Mutations are serialized and persisted before they resolve.
 */
import { join } from 'node:path';
import { matchesFilter, sameBinding, validateBinding, type AclBinding, type AclFilter } from './acl';
import { WriteChain, readJsonFile, writeSecretFileAtomic } from './security-files';

export interface AclStore {
  load(): Promise<void>;
  all(): readonly AclBinding[];
  /** Adds bindings (an existing identical binding is kept once). */
  add(bindings: readonly AclBinding[]): Promise<void>;
  /** Removes every binding matching a filter; resolves with the removed ones, per filter. */
  remove(filters: readonly AclFilter[]): Promise<AclBinding[][]>;
  /** Stops background work (a watch); the store is not used after. */
  close?(): Promise<void>;
}

interface FileFormat {
  version: 1;
  acls: AclBinding[];
}

export class LocalAclStore implements AclStore {
  private acls: AclBinding[] = [];
  private readonly writes = new WriteChain();
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'acls.json');
  }

  async load(): Promise<void> {
    const data = await readJsonFile(this.path);
    if (data === null) return;
    const parsed = data as FileFormat; // our own file; each entry is validated below
    if (parsed.version !== 1 || !Array.isArray(parsed.acls)) throw new Error(`${this.path} is not a Strata ACL file`);
    this.acls = parsed.acls.map((a) => validateBinding(a));
  }

  all(): readonly AclBinding[] {
    return this.acls;
  }

  add(bindings: readonly AclBinding[]): Promise<void> {
    return this.writes.run(async () => {
      const next = [...this.acls];
      for (const b of bindings) if (!next.some((a) => sameBinding(a, b))) next.push(b);
      await writeSecretFileAtomic(this.path, { version: 1, acls: next } satisfies FileFormat);
      this.acls = next;
    });
  }

  remove(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    return this.writes.run(async () => {
      const removed = filters.map((f) => this.acls.filter((a) => matchesFilter(a, f)));
      const next = this.acls.filter((a) => !filters.some((f) => matchesFilter(a, f)));
      await writeSecretFileAtomic(this.path, { version: 1, acls: next } satisfies FileFormat);
      this.acls = next;
      return removed;
    });
  }
}
