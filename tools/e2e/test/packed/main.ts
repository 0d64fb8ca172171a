// A user's program against the published packages, installed from their tarballs (see
// ../packed-install.spec.ts): type-checked with `tsc --strict`, then compiled and run with node.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBroker } from '@strata/broker';
import { Strata, type ConsumerMessage } from '@strata/client';
import type { ConsumerMessage as BrowserMessage } from '@strata/client/browser';
import { Kafka, logLevel } from '@strata/client/kafkajs';
import { ERRORS } from '@strata/protocol';

// Per entry: Node delivers Buffers, browsers Uint8Arrays (checked by the compiler).
type IsBuffer<T> = T extends Buffer ? true : false;
const nodeValueIsBuffer: IsBuffer<NonNullable<ConsumerMessage['value']>> = true;
const browserValueIsBuffer: IsBuffer<NonNullable<BrowserMessage['value']>> = false;

const dataDir = mkdtempSync(join(tmpdir(), 'strata-packed-'));
const broker = await startBroker({ dataDir, port: 0 });
try {
  const strata = new Strata({ brokers: [broker.url], logLevel: 'nothing' });
  const admin = strata.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'packed', numPartitions: 1 }] });
  await admin.disconnect();

  const producer = strata.producer();
  await producer.connect();
  await producer.send({ topic: 'packed', messages: [{ key: 'k', value: JSON.stringify({ n: 1 }) }] });
  await producer.disconnect();

  const consumer = strata.consumer();
  await consumer.connect();
  consumer.assign([{ topic: 'packed', partition: 0, fromBeginning: true }]);
  let message: ConsumerMessage | undefined;
  for await (const m of consumer) {
    message = m;
    break;
  }
  await consumer.disconnect();
  assert.ok(message?.value);
  assert.deepEqual(JSON.parse(message.value.toString()), { n: 1 }); // a Buffer in Node
  assert.equal(nodeValueIsBuffer && !browserValueIsBuffer, true);

  // The KafkaJS entry, as ES module and as CommonJS (the same classes).
  const kafka = new Kafka({ brokers: [new URL(broker.url).host], logLevel: logLevel.NOTHING });
  const kadmin = kafka.admin();
  await kadmin.connect();
  assert.deepEqual(await kadmin.listTopics(), ['packed']);
  await kadmin.disconnect();
  const require = createRequire(import.meta.url);
  const kafkajsEntry = '@strata/client/kafkajs';
  const cjs = require(kafkajsEntry) as { Kafka: typeof Kafka };
  assert.equal(cjs.Kafka, Kafka);
  assert.equal(ERRORS.TOPIC_ALREADY_EXISTS.retriable, false);

  // The installed CLI, kcat-style.
  const cli = join(process.cwd(), 'node_modules', '.bin', 'strata');
  // Asynchronously: the broker runs in this process.
  const { stdout } = await promisify(execFile)(cli, ['-b', new URL(broker.url).host, 'consume', 'packed', '-o', 'beginning', '--format', '%k=%v\\n'], { encoding: 'utf8' });
  assert.equal(stdout, 'k={"n":1}\n');
  console.log('OK');
} finally {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
}
