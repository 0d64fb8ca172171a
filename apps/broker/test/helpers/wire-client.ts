/**
 * A minimal protocol client for broker tests: raw frames over `ws`, correlation ids, typed
 * request/response bodies from @strata/protocol. Broker tests use it instead of the SDK so the
 * broker never depends on the client, and so they can send malformed input on purpose.
 */
import WebSocket from 'ws';
import {
  Apis,
  apiOf,
  RecordBatchBuilder,
  StrataError,
  decodeErrorResponse,
  decodeMessage,
  decodeResponseFrame,
  encodeRequestFrame,
  errorFromCode,
  type ApiName,
  type RecordInput,
  type RequestInitOf,
  type ResponseOf,
} from '@strata/protocol';

interface Pending {
  api: ApiName;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  closeCode: number | null = null;
  closeReason = '';
  readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.onFrame(data));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        for (const p of this.pending.values()) p.reject(new Error(`connection closed (${code})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  static async connect(url: string, options: { handshake?: boolean; wsOptions?: WebSocket.ClientOptions } = {}): Promise<WireClient> {
    const ws = new WebSocket(url, { ...options.wsOptions, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new WireClient(ws);
    if (options.handshake ?? true) await client.request('ApiVersions', { clientSoftwareName: 'wire-test', clientSoftwareVersion: '0' });
    return client;
  }

  private onFrame(data: Buffer): void {
    const frame = decodeResponseFrame(data);
    const p = this.pending.get(frame.correlationId);
    if (!p) return;
    this.pending.delete(frame.correlationId);
    if (frame.errorCode !== 0) {
      const body = decodeErrorResponse(frame.body);
      p.reject(errorFromCode(frame.errorCode, body.message));
      return;
    }
    p.resolve(decodeMessage(apiOf(p.api).response, frame.body));
  }

  request<N extends ApiName>(api: N, body: RequestInitOf<N>, options: { apiVersion?: number } = {}): Promise<ResponseOf<N>> {
    const correlationId = this.nextId++;
    const frame = encodeRequestFrame(apiOf(api), { apiVersion: options.apiVersion ?? 0, correlationId, clientId: 'wire-test' }, body);
    return new Promise<ResponseOf<N>>((resolve, reject) => {
      this.pending.set(correlationId, { api, resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(frame);
    });
  }

  /** Sends a produce with acks=0: no response comes back. */
  sendNoAck(body: RequestInitOf<'Produce'>): void {
    this.ws.send(encodeRequestFrame(Apis.Produce, { apiVersion: 0, correlationId: this.nextId++, clientId: 'wire-test' }, { ...body, acks: 0 }));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    await this.closed;
  }
}

export function batch(records: RecordInput[], options: ConstructorParameters<typeof RecordBatchBuilder>[0] = {}): Uint8Array {
  const b = new RecordBatchBuilder(options);
  for (const r of records) b.append(r);
  return b.build();
}

export async function createTopic(client: WireClient, name: string, numPartitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const res = await client.request('CreateTopics', {
    topics: [{ name, numPartitions, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
  });
  const r = res.topics[0]!;
  if (r.errorCode !== 0) throw errorFromCode(r.errorCode, r.errorMessage);
}

export async function produce(client: WireClient, topic: string, partition: number, records: RecordInput[], acks = -1): Promise<number> {
  const res = await client.request('Produce', { acks, timeoutMs: 30000, topics: [{ name: topic, partitions: [{ partition, records: batch(records) }] }] });
  const p = res.topics[0]!.partitions[0]!;
  if (p.errorCode !== 0) throw errorFromCode(p.errorCode, p.errorMessage);
  return p.baseOffset;
}

export { StrataError };
