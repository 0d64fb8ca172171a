/**
 * The cluster's shared security stores (EtcdCredentialStore, EtcdAclStore) against a real etcd
 * (Debian's etcd-server): two stores on one prefix stand for two brokers.
 * - what one writes, the other sees (its watch), and the writer sees at once;
 * - writes racing from both sides all land (compare-and-swap; no lost update);
 * - a store whose watch missed events that etcd then compacted away reads everything again.
 * The stores live in @strata/broker; this project may start etcd (tools-kit), the broker's may not.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { deriveScramCredential, SCRAM_MECHANISMS } from '@strata/protocol';
import { EtcdAclStore, EtcdCredentialStore, EtcdLayout, type AclBinding, type EtcdStoreOptions } from '@strata/broker';
import { EtcdProcess } from '@strata/tools-kit';

const logger = pino({ level: process.env['DBG'] ? 'debug' : 'silent' });

async function until<T>(what: string, fn: () => T | null | undefined | false, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = fn();
    if (v) return v;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const acl = (principal: string, topic: string, operation: AclBinding['operation'] = 'READ'): AclBinding => ({
  resourceType: 'TOPIC',
  resourceName: topic,
  patternType: 'LITERAL',
  principal,
  host: '*',
  operation,
  permission: 'ALLOW',
});

/** A TCP proxy to etcd that can cut every connection (and refuse new ones) until healed. */
class CuttableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  port = 0;

  constructor(target: number) {
    this.server = createServer((client) => {
      if (this.cutOff) {
        client.destroy();
        return;
      }
      const upstream = connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port; // a TCP server's address
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('the etcd security stores', () => {
  const etcd = new EtcdProcess();
  let clientA: Etcd3;
  let clientB: Etcd3;
  let n = 0;
  /** Two stores' options on a fresh prefix: two brokers of one cluster. */
  const pair = (): [EtcdStoreOptions, EtcdStoreOptions] => {
    const layout = new EtcdLayout(`/stores-${++n}`);
    return [
      { client: clientA, layout, logger },
      { client: clientB, layout, logger },
    ];
  };

  beforeAll(async () => {
    await etcd.start();
    clientA = new Etcd3({ hosts: etcd.endpoint });
    clientB = new Etcd3({ hosts: etcd.endpoint });
  });

  afterAll(async () => {
    clientA?.close();
    clientB?.close();
    await etcd.stop();
  });

  it('shares users between brokers: a credential written through one is read through the other, and deleted', async () => {
    const [a, b] = pair();
    const one = new EtcdCredentialStore(a);
    const two = new EtcdCredentialStore(b);
    await Promise.all([one.load(), two.load()]);
    const credential = await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'secret', 4096);
    await one.upsert('alice', credential);
    expect(one.get('alice', 'SCRAM-SHA-256')?.storedKey).toEqual(credential.storedKey); // the writer reads its write at once
    const seen = await until('the other store to see alice', () => two.get('alice', 'SCRAM-SHA-256'));
    expect(seen.serverKey).toEqual(credential.serverKey);
    expect(two.list()).toEqual([{ user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] }]);
    // Stored as keys, never the password.
    const raw = await clientA.get(a.layout.scramUser('alice')).string();
    expect(raw).not.toContain('secret');
    expect(Object.keys(JSON.parse(raw!) as object)).toEqual(['SCRAM-SHA-256']);

    await two.delete('alice', 'SCRAM-SHA-256');
    await until('the first store to lose alice', () => one.get('alice', 'SCRAM-SHA-256') === undefined);
    await expect(one.delete('alice', 'SCRAM-SHA-256')).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(await clientA.get(a.layout.scramUser('alice')).string()).toBeNull();
    await Promise.all([one.close(), two.close()]);
  });

  it('keeps both of two racing changes to one user (compare-and-swap, no lost update)', async () => {
    const [a, b] = pair();
    const one = new EtcdCredentialStore(a);
    const two = new EtcdCredentialStore(b);
    await Promise.all([one.load(), two.load()]);
    const c256 = await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'p256', 4096);
    const c512 = await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-512'], 'p512', 4096);
    for (let round = 0; round < 10; round++) {
      const user = `racer-${round}`;
      await Promise.all([one.upsert(user, c256), two.upsert(user, c512)]);
      const stored = JSON.parse((await clientA.get(a.layout.scramUser(user)).string())!) as object;
      expect(Object.keys(stored).sort()).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    }
    await until('both stores to list every racer with both mechanisms', () =>
      [one, two].every((s) => s.list().length === 10 && s.list().every((u) => u.credentials.length === 2)),
    );
    expect(await one.createIfAbsent('racer-0', await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'other', 4096))).toBe(false);
    expect(one.get('racer-0', 'SCRAM-SHA-256')?.storedKey).toEqual(c256.storedKey);
    await Promise.all([one.close(), two.close()]);
  });

  it('shares ACLs: racing adds all land, an identical binding is kept once, removal reaches the other broker', async () => {
    const [a, b] = pair();
    const one = new EtcdAclStore(a);
    const two = new EtcdAclStore(b);
    await Promise.all([one.load(), two.load()]);
    const fromOne = Array.from({ length: 20 }, (_, i) => acl('User:app', `t-${i}`));
    const fromTwo = Array.from({ length: 20 }, (_, i) => acl('User:etl', `t-${i}`, 'WRITE'));
    await Promise.all([...fromOne.map((x) => one.add([x])), ...fromTwo.map((x) => two.add([x])), one.add([fromTwo[0]!])]);
    expect(one.all()).toHaveLength(40);
    await until('the other store to hold all 40', () => two.all().length === 40);
    // More than one transaction's worth at once, and duplicates.
    const many = Array.from({ length: 150 }, (_, i) => acl('User:bulk', `b-${i}`));
    await two.add([...many, ...many.slice(0, 10)]);
    await until('the first store to hold the bulk', () => one.all().length === 190);

    const removed = await two.remove([{ principal: 'User:app' }, { principal: 'User:bulk' }]);
    expect(removed.map((r) => r.length)).toEqual([20, 150]);
    const left = await until('the first store to hold only etl', () => one.all().length === 20 && one.all());
    expect(left.every((x) => x.principal === 'User:etl')).toBe(true);
    expect(await one.remove([{ principal: 'User:nobody' }])).toEqual([[]]);
    await Promise.all([one.close(), two.close()]);
  });

  it('reads everything again when its watch missed events that etcd compacted away', async () => {
    const proxy = new CuttableProxy(etcd.clientPort);
    await proxy.start();
    const behind = new Etcd3({ hosts: `http://127.0.0.1:${proxy.port}` });
    try {
      const [a] = pair();
      const writer = new EtcdAclStore(a);
      const reader = new EtcdAclStore({ ...a, client: behind });
      await Promise.all([writer.load(), reader.load()]);
      await writer.add([acl('User:before', 'x')]);
      await until('the reader to see the first ACL', () => reader.all().length === 1);

      proxy.cut();
      await writer.add([acl('User:during', 'x')]);
      await writer.remove([{ principal: 'User:before' }]);
      const latest = await clientA.get(a.layout.aclsPrefix).exec();
      await clientA.kv.compact({ revision: latest.header.revision, physical: true });
      proxy.heal();

      const seen = await until('the reader to read the ACLs again', () => reader.all().length === 1 && reader.all()[0]!.principal === 'User:during' && reader.all(), 400);
      expect(seen[0]!.resourceName).toBe('x');
      await Promise.all([writer.close(), reader.close()]);
    } finally {
      behind.close();
      await proxy.stop();
    }
  });
});
