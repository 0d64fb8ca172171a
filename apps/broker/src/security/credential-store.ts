/**
 * SCRAM credentials of users, behind one interface: LocalCredentialStore keeps them in
 * `<data.dir>/credentials.json` (mode 0600, replaced atomically); a clustered broker will keep them
 * in etcd behind the same interface. Only what RFC 5802 servers need is stored: salt, iteration
 * count, StoredKey and ServerKey per mechanism. Never a password.
 *
 * The store keeps the whole state in memory after load(); get() is synchronous (authentication
 * reads it on every SCRAM exchange). Mutations are serialized and persisted before they resolve.
 */
import { join } from 'node:path';
import { ERRORS, StrataError, fromBase64, scramMechanism, toBase64, type ScramCredential, type ScramMechanismName } from '@strata/protocol';
import { WriteChain, readJsonFile, writeSecretFileAtomic } from './security-files';

export interface CredentialStore {
  load(): Promise<void>;
  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined;
  /** Every user with the mechanisms and iteration counts of their credentials. */
  list(): Array<{ user: string; credentials: Array<{ mechanism: ScramMechanismName; iterations: number }> }>;
  upsert(user: string, credential: ScramCredential): Promise<void>;
  /** Deletes one mechanism's credential of a user; throws RESOURCE_NOT_FOUND when there is none. */
  delete(user: string, mechanism: ScramMechanismName): Promise<void>;
  /** Stops background work (a watch); the store is not used after. */
  close?(): Promise<void>;
}

/** One mechanism's credential as stored (JSON): keys in base64. */
export interface StoredCredential {
  iterations: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}

interface FileFormat {
  version: 1;
  users: Record<string, StoredUser>;
}

/** A user's stored credentials, by mechanism. */
export type StoredUser = Partial<Record<ScramMechanismName, StoredCredential>>;

export function toStored(c: ScramCredential): StoredCredential {
  return { iterations: c.iterations, salt: toBase64(c.salt), storedKey: toBase64(c.storedKey), serverKey: toBase64(c.serverKey) };
}

export function fromStored(mechanism: ScramMechanismName, c: StoredCredential): ScramCredential {
  return { mechanism, iterations: c.iterations, salt: fromBase64(c.salt), storedKey: fromBase64(c.storedKey), serverKey: fromBase64(c.serverKey) };
}

/** list() of a users map: users with at least one credential, sorted by name. */
export function listUsers(users: Readonly<Record<string, StoredUser>>): Array<{ user: string; credentials: Array<{ mechanism: ScramMechanismName; iterations: number }> }> {
  return Object.entries(users)
    .map(([user, byMechanism]) => ({
      user,
      credentials: Object.entries(byMechanism).map(([mechanism, c]) => ({ mechanism: mechanism as ScramMechanismName, iterations: c!.iterations })),
    }))
    .filter((u) => u.credentials.length > 0)
    .sort((a, b) => a.user.localeCompare(b.user));
}

/** Checks a credential before it is stored (UNACCEPTABLE_CREDENTIAL otherwise). */
export function checkCredential(user: string, c: ScramCredential): void {
  const mechanism = scramMechanism(c.mechanism);
  const bad = (why: string) => new StrataError(ERRORS.UNACCEPTABLE_CREDENTIAL, `credential of "${user}" for ${c.mechanism}: ${why}`);
  if (user.length === 0 || user.length > 256) throw bad('the user name must have 1 to 256 characters');
  if (!mechanism) throw bad('unknown mechanism (SCRAM-SHA-256 or SCRAM-SHA-512)');
  if (!Number.isInteger(c.iterations) || c.iterations < mechanism.minIterations || c.iterations > 1_000_000) {
    throw bad(`iterations must be from ${mechanism.minIterations} to 1000000`);
  }
  if (c.salt.length < 16) throw bad('the salt must have at least 16 bytes');
  if (c.storedKey.length !== mechanism.keyBytes || c.serverKey.length !== mechanism.keyBytes) throw bad(`keys must have ${mechanism.keyBytes} bytes`);
}

export class LocalCredentialStore implements CredentialStore {
  private state: FileFormat = { version: 1, users: {} };
  private readonly writes = new WriteChain();
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'credentials.json');
  }

  async load(): Promise<void> {
    const data = await readJsonFile(this.path);
    if (data === null) return;
    const parsed = data as FileFormat; // our own file, written atomically; shape checked below
    if (parsed.version !== 1 || typeof parsed.users !== 'object' || parsed.users === null) throw new Error(`${this.path} is not a Strata credentials file`);
    this.state = parsed;
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    const c = Object.hasOwn(this.state.users, user) ? this.state.users[user]?.[mechanism] : undefined;
    return c ? fromStored(mechanism, c) : undefined;
  }

  list(): Array<{ user: string; credentials: Array<{ mechanism: ScramMechanismName; iterations: number }> }> {
    return listUsers(this.state.users);
  }

  upsert(user: string, credential: ScramCredential): Promise<void> {
    checkCredential(user, credential);
    return this.writes.run(async () => {
      const next: FileFormat = structuredClone(this.state);
      const entry = Object.hasOwn(next.users, user) ? next.users[user]! : (next.users[user] = {});
      entry[credential.mechanism] = toStored(credential);
      await writeSecretFileAtomic(this.path, next);
      this.state = next;
    });
  }

  delete(user: string, mechanism: ScramMechanismName): Promise<void> {
    return this.writes.run(async () => {
      if (!this.get(user, mechanism)) throw new StrataError(ERRORS.RESOURCE_NOT_FOUND, `user "${user}" has no ${mechanism} credential`);
      const next: FileFormat = structuredClone(this.state);
      delete next.users[user]![mechanism];
      if (Object.keys(next.users[user]!).length === 0) delete next.users[user];
      await writeSecretFileAtomic(this.path, next);
      this.state = next;
    });
  }
}
