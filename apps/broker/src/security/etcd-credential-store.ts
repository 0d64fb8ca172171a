/**
 * EtcdCredentialStore: the SCRAM credentials of a cluster, in etcd, shared by every broker (the
 * CredentialStore of a broker with etcd.endpoints set). One key per user,
 * `<prefix>/security/scram/<user>`, holding its credentials by mechanism (salt, iterations,
 * StoredKey, ServerKey in base64 — what RFC 5802 servers need; never a password).
 *
 * Writes are read-modify-write transactions on one key, compare-and-swap on the key's mod
 * revision (0: absent): two admins changing the same user at once through different brokers both
 * land (the loser reads again and retries), never one over the other. A write resolves once this
 * broker's copy reflects it, so a user created through a broker authenticates there at once; the
 * other brokers see it when their watch delivers it.
 *
 * Reads (get, list) are synchronous from an in-memory copy kept current by an EtcdMirror (load,
 * then a watch from the load's revision + 1; read again whole if the watch fails or its revision
 * was compacted). Event loop only.
 */
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { ERRORS, StrataError, type ScramCredential, type ScramMechanismName } from '@strata/protocol';
import type { EtcdLayout } from '../cluster/etcd-layout';
import { EtcdMirror } from '../cluster/etcd-mirror';
import { checkCredential, fromStored, listUsers, toStored, type CredentialStore, type StoredUser } from './credential-store';

export interface EtcdStoreOptions {
  client: Etcd3;
  layout: EtcdLayout;
  logger: Logger;
}

/** Compare-and-swap attempts before a write gives up (each one lost a race to another write). */
const MAX_ATTEMPTS = 50;

export class EtcdCredentialStore implements CredentialStore {
  private users: Record<string, StoredUser> = Object.create(null) as Record<string, StoredUser>;
  private readonly mirror: EtcdMirror;

  constructor(private readonly o: EtcdStoreOptions) {
    const prefix = o.layout.scramUsersPrefix;
    this.mirror = new EtcdMirror({
      client: o.client,
      prefix,
      logger: o.logger,
      what: 'SCRAM credentials',
      onReset: (kvs) => {
        const users = Object.create(null) as Record<string, StoredUser>;
        for (const kv of kvs) {
          const user = this.decode(kv.key.toString('utf8').slice(prefix.length), kv.value);
          if (user) users[user.name] = user.value;
        }
        this.users = users;
      },
      onChange: (key, value) => {
        const name = key.slice(prefix.length);
        if (value === null) {
          delete this.users[name];
          return;
        }
        const user = this.decode(name, value);
        if (user) this.users[name] = user.value;
      },
    });
  }

  private decode(name: string, raw: Buffer): { name: string; value: StoredUser } | null {
    try {
      const value = JSON.parse(raw.toString('utf8')) as StoredUser; // written by this class
      if (typeof value !== 'object' || value === null) throw new Error('not an object');
      return { name, value };
    } catch (e) {
      this.o.logger.error({ key: this.o.layout.scramUser(name), err: e }, 'undecodable SCRAM credential in etcd; ignored');
      return null;
    }
  }

  load(): Promise<void> {
    return this.mirror.load();
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    const c = this.users[user]?.[mechanism];
    return c ? fromStored(mechanism, c) : undefined;
  }

  list(): Array<{ user: string; credentials: Array<{ mechanism: ScramMechanismName; iterations: number }> }> {
    return listUsers(this.users);
  }

  async upsert(user: string, credential: ScramCredential): Promise<void> {
    checkCredential(user, credential);
    await this.update(user, (current) => ({ ...current, [credential.mechanism]: toStored(credential) }));
  }

  async delete(user: string, mechanism: ScramMechanismName): Promise<void> {
    await this.update(user, (current) => {
      if (!current?.[mechanism]) throw new StrataError(ERRORS.RESOURCE_NOT_FOUND, `user "${user}" has no ${mechanism} credential`);
      const next: StoredUser = { ...current };
      delete next[mechanism];
      return next;
    });
  }

  /**
   * Stores `credential` unless the user already has a credential for its mechanism (the broker's
   * own inter-broker user at start-up: a broker never changes an existing credential). True when
   * it was stored.
   */
  async createIfAbsent(user: string, credential: ScramCredential): Promise<boolean> {
    checkCredential(user, credential);
    let created = false;
    await this.update(user, (current) => {
      created = !current?.[credential.mechanism];
      return created ? { ...current, [credential.mechanism]: toStored(credential) } : null;
    });
    return created;
  }

  /**
   * Reads the user's key, computes the new value (null: no change; an empty object: delete the
   * key) and writes it if the key's mod revision is still the one read; else reads again.
   */
  private async update(user: string, change: (current: StoredUser | undefined) => StoredUser | null): Promise<void> {
    const { client, layout } = this.o;
    const key = layout.scramUser(user);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const res = await client.get(key).exec();
      const kv = res.kvs[0];
      const current = kv ? (this.decode(user, kv.value)?.value ?? undefined) : undefined;
      const next = change(current);
      if (next === null) return;
      const modRevision = kv ? kv.mod_revision : '0';
      const write = Object.keys(next).length === 0 ? client.delete().key(key) : client.put(key).value(JSON.stringify(next));
      const txn = await client.if(key, 'Mod', '==', modRevision).then(write).commit();
      if (txn.succeeded) {
        await this.mirror.caughtUp(Number(txn.header.revision));
        return;
      }
    }
    throw new StrataError(ERRORS.REQUEST_TIMED_OUT, `the credentials of "${user}" kept changing in etcd; ${MAX_ATTEMPTS} attempts to change them lost the race`);
  }

  close(): Promise<void> {
    return this.mirror.close();
  }
}
