/**
 * Producer-id blocks from etcd: every broker of a cluster reserves blocks of the shared counter
 * `<prefix>/producer-ids` with a transaction that compares the counter's mod revision, so no two
 * brokers ever hand out the same id; the permutation key (producer ids are unguessable) is
 * created once under `<prefix>/producer-id-key`.
 */
import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { BlockSource } from '../producer-ids';
import { decode, encode, type EtcdLayout } from './etcd-layout';

export class EtcdBlockSource implements BlockSource {
  constructor(
    private readonly client: Etcd3,
    private readonly layout: EtcdLayout,
  ) {}

  async load(): Promise<{ key: Buffer }> {
    const { client, layout } = this;
    await client.if(layout.producerIdKey, 'Create', '==', 0).then(client.put(layout.producerIdKey).value(randomBytes(32).toString('base64'))).commit();
    const key = await client.get(layout.producerIdKey).string();
    if (!key) throw new Error(`${layout.producerIdKey} is missing from etcd`);
    return { key: Buffer.from(key, 'base64') };
  }

  async reserve(size: number): Promise<number> {
    const { client, layout } = this;
    for (let attempt = 0; attempt < 50; attempt++) {
      const res = await client.get(layout.producerIds).exec();
      const kv = res.kvs[0];
      const next = kv ? (decode<{ next: number }>(kv.value)?.next ?? 0) : 0;
      const txn = kv ? client.if(layout.producerIds, 'Mod', '==', kv.mod_revision) : client.if(layout.producerIds, 'Create', '==', 0);
      const put = await txn.then(client.put(layout.producerIds).value(encode({ next: next + size }))).commit();
      if (put.succeeded) return next;
    }
    throw new Error('could not reserve a block of producer ids in etcd (too much contention)');
  }
}
