/**
 * Producer throughput for a matrix of lingerMs x batchSize x compression x acks x value size,
 * against the built broker binary in its own process (durability=fsync, so acks=all waits for
 * fsync). One broker serves the whole matrix; every run writes a fresh topic. Each cell reports the
 * median of its runs, with the bytes the log grew by (what compression saves) and CPU of both
 * processes (what it costs).
 *
 *   npm run bench -- --producer-matrix --linger 0,5 --batch-size 65536,1048576 \
 *     --compression none,snappy,gzip --acks 1,all --sizes 100,1000 --records 1000000 --runs 3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strata, silentLogger, type Admin, type CompressionName, type Producer } from '@strata/client';
import { BenchBroker } from './broker-process';
import { fmt, median } from './stats';

export interface MatrixArgs {
  records: number;
  runs: number;
  partitions: number;
  perSend: number;
  concurrency: number;
  sizes: number[];
  acks: Array<-1 | 0 | 1>;
  lingers: number[];
  batchSizes: number[];
  compressions: CompressionName[];
  json: boolean;
}

interface Cell {
  size: number;
  acks: string;
  lingerMs: number;
  batchSize: number;
  compression: CompressionName;
  msgsPerSec: number;
  mbPerSec: number;
  logBytesPerRecord: number;
  clientCpuPct: number;
  brokerCpuPct: number;
}

interface Run {
  seconds: number;
  clientCpu: number;
  brokerCpu: number;
  logBytes: number;
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

let topicCounter = 0;

const WORDS = 'order customer item price quantity shipped pending paid refund warehouse berlin paris tokyo lisbon status created updated total discount express standard'.split(' ');

/**
 * 1,024 distinct values of `size` bytes: JSON-like text of words and numbers from a seeded
 * generator, so that codecs see what log data looks like (compressible, not repetitive).
 */
export function sampleValues(size: number): Uint8Array[] {
  let seed = 42;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const enc = new TextEncoder();
  return Array.from({ length: 1024 }, () => {
    let text = '';
    while (text.length < size) {
      const word = WORDS[Math.floor(random() * WORDS.length)]!;
      text += `"${word}":${Math.floor(random() * 100000)},`;
    }
    return enc.encode(text.slice(0, size));
  });
}

async function produceRun(strata: Strata, admin: Admin, broker: BenchBroker, a: MatrixArgs, size: number, acks: -1 | 0 | 1, lingerMs: number, batchSize: number, compression: CompressionName): Promise<Run> {
  const topic = `matrix-${process.pid}-${topicCounter++}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: a.partitions }] });
  const values = sampleValues(size);
  const producer: Producer = strata.producer({
    acks,
    lingerMs,
    batchSize,
    compression,
    idempotent: acks !== 0,
    maxRequestBytes: Math.max(1_048_576, batchSize * a.partitions),
    bufferMemory: Math.max(64 * 1024 * 1024, batchSize * 16),
  });
  await producer.connect();
  const c0 = cpu();
  const b0 = broker.cpuSeconds();
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < a.records) {
      const n = Math.min(a.perSend, a.records - next);
      next += n;
      const messages = new Array<{ value: Uint8Array }>(n);
      for (let i = 0; i < n; i++) messages[i] = { value: values[(next + i) & (values.length - 1)]! };
      await producer.send({ topic, messages });
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const run = { seconds, clientCpu: cpu() - c0, brokerCpu: broker.cpuSeconds() - b0, logBytes: 0 };
  await producer.disconnect();
  const [described] = (await admin.describeTopics({ topics: [topic] })).topics;
  for (const p of described?.partitions ?? []) run.logBytes += p.size;
  await admin.deleteTopics({ topics: [topic] });
  return run;
}

export async function producerMatrix(a: MatrixArgs): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-matrix-'));
  const broker = new BenchBroker(dataDir, { durability: 'fsync' });
  await broker.start();
  const cells: Cell[] = [];
  try {
    const strata = new Strata({ brokers: [broker.url], clientId: 'bench-matrix', logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    for (const size of a.sizes) {
      for (const acks of a.acks) {
        for (const compression of a.compressions) {
          for (const batchSize of a.batchSizes) {
            for (const lingerMs of a.lingers) {
              const runs: Run[] = [];
              for (let r = 0; r < a.runs; r++) runs.push(await produceRun(strata, admin, broker, a, size, acks, lingerMs, batchSize, compression));
              const secs = median(runs.map((x) => x.seconds));
              const cell: Cell = {
                size,
                acks: acks === -1 ? 'all' : String(acks),
                lingerMs,
                batchSize,
                compression,
                msgsPerSec: a.records / secs,
                mbPerSec: (a.records * size) / secs / 1e6,
                logBytesPerRecord: median(runs.map((x) => x.logBytes)) / a.records,
                clientCpuPct: median(runs.map((x) => (100 * x.clientCpu) / x.seconds)),
                brokerCpuPct: median(runs.map((x) => (100 * x.brokerCpu) / x.seconds)),
              };
              cells.push(cell);
              process.stderr.write(
                `size=${size} acks=${cell.acks} ${compression} batch=${batchSize} linger=${lingerMs}: ${runs.map((x) => fmt(a.records / x.seconds)).join(' / ')} msg/s\n`,
              );
            }
          }
        }
      }
    }
    await admin.disconnect();
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (a.json) {
    process.stdout.write(JSON.stringify({ records: a.records, runs: a.runs, partitions: a.partitions, cells }, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    `\nproducer matrix: ${fmt(a.records)} records per run, ${a.partitions} partition(s), ${a.perSend} messages per send, ${a.concurrency} sends in flight, median of ${a.runs} runs; broker durability=fsync\n\n`,
  );
  process.stdout.write('| value bytes | acks | compression | batchSize | lingerMs | msgs/s | MB/s | log bytes/record | client CPU % | broker CPU % |\n');
  process.stdout.write('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n');
  for (const c of cells) {
    process.stdout.write(
      `| ${c.size} | ${c.acks} | ${c.compression} | ${c.batchSize} | ${c.lingerMs} | ${fmt(c.msgsPerSec)} | ${fmt(c.mbPerSec, 1)} | ${fmt(c.logBytesPerRecord, 1)} | ${fmt(c.clientCpuPct)} | ${fmt(c.brokerCpuPct)} |\n`,
    );
  }
}
