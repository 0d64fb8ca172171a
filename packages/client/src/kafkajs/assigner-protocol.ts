/**
 * KafkaJS's `AssignerProtocol` (the Kafka consumer protocol's MemberMetadata and MemberAssignment
 * encodings) and `PartitionAssigners`.
 *
 * Strata assigns partitions in the broker (the group coordinator runs the assignor), so custom
 * assigners cannot run in the client; `PartitionAssigners.roundRobin` selects the broker's
 * 'round-robin' assignor. The encodings exist so that programs decoding `describeGroup()`'s
 * `memberAssignment` / `memberMetadata` (as KafkaJS documents) keep working.
 *
 * MemberMetadata:   int16 version | array<string> topics | bytes userData
 * MemberAssignment: int16 version | array<string topic, array<int32 partition>> | bytes userData
 * (arrays: int32 count; strings: int16 length + UTF-8; bytes: int32 length, -1 for null)
 */
import { Buffer } from 'node:buffer';
import { invalidOption, notSupported } from './errors';

export type Assignment = { [topic: string]: number[] };

export interface MemberMetadata {
  version: number;
  topics: string[];
  userData: Buffer;
}

export interface MemberAssignment {
  version: number;
  assignment: Assignment;
  userData: Buffer;
}

export interface ISerializer<T> {
  encode(value: T): Buffer;
  decode(buffer: Buffer): T | null;
}

class Writer {
  private readonly parts: Buffer[] = [];

  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }

  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }

  string(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    this.parts.push(b);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw invalidOption('AssignerProtocol.decode', 'the buffer ends early: not a consumer-protocol encoding');
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  string(): string {
    const n = this.int16();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) return Buffer.alloc(0);
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
}

export const AssignerProtocol: { MemberMetadata: ISerializer<MemberMetadata>; MemberAssignment: ISerializer<MemberAssignment> } = Object.freeze({
  MemberMetadata: {
    encode({ version, topics, userData }: MemberMetadata): Buffer {
      const w = new Writer().int16(version).int32(topics.length);
      for (const t of topics) w.string(t);
      return w.bytes(userData ?? Buffer.alloc(0)).done();
    },
    decode(buffer: Buffer): MemberMetadata | null {
      if (buffer.length === 0) return null;
      const r = new Reader(buffer);
      const version = r.int16();
      const topics = Array.from({ length: r.int32() }, () => r.string());
      return { version, topics, userData: r.atEnd ? Buffer.alloc(0) : r.bytes() };
    },
  },
  MemberAssignment: {
    encode({ version, assignment, userData }: MemberAssignment): Buffer {
      const topics = Object.keys(assignment);
      const w = new Writer().int16(version).int32(topics.length);
      for (const t of topics) {
        const partitions = assignment[t] ?? [];
        w.string(t).int32(partitions.length);
        for (const p of partitions) w.int32(p);
      }
      return w.bytes(userData ?? Buffer.alloc(0)).done();
    },
    decode(buffer: Buffer): MemberAssignment | null {
      if (buffer.length === 0) return null;
      const r = new Reader(buffer);
      const version = r.int16();
      const assignment: Assignment = {};
      const count = r.int32();
      for (let i = 0; i < count; i++) {
        const topic = r.string();
        assignment[topic] = Array.from({ length: r.int32() }, () => r.int32());
      }
      return { version, assignment, userData: r.atEnd ? Buffer.alloc(0) : r.bytes() };
    },
  },
});

/** A KafkaJS partition assigner; only the built-in roundRobin maps to a Strata (broker-side) assignor. */
export type PartitionAssigner = (config: { cluster: unknown; groupId: string; logger: unknown }) => unknown;

const roundRobin: PartitionAssigner = () => {
  throw new Error('PartitionAssigners.roundRobin selects the broker-side round-robin assignor; it is not called');
};

export const PartitionAssigners = Object.freeze({ roundRobin });

/** The broker-side assignor for KafkaJS's `partitionAssigners` (undefined: the broker's default). */
export function assignorFor(assigners: readonly PartitionAssigner[] | undefined): 'round-robin' | undefined {
  if (assigners === undefined || assigners.length === 0) return undefined;
  if (!Array.isArray(assigners)) throw invalidOption('consumer.partitionAssigners', 'expected an array, e.g. [PartitionAssigners.roundRobin]');
  const first = assigners[0];
  if (first === roundRobin) return 'round-robin';
  throw notSupported(
    'consumer.partitionAssigners',
    'Strata assigns partitions in the broker (the group coordinator), so custom assigners cannot run in the client; use [PartitionAssigners.roundRobin] or leave it out (the broker default, sticky)',
  );
}
