/**
 * A bare protocol connection to ONE broker, for tests that must say which broker answers (the
 * SDK routes admin requests to the controller and data requests to leaders) or send what the SDK
 * never sends (a Fetch with a replica id). ApiVersions, SCRAM when asked, then requests one at a
 * time; a frame-level error (an authorization denial) is returned, not thrown.
 */
import WebSocket from 'ws';
import {
  ScramClient,
  apiOf,
  decodeErrorResponse,
  decodeMessage,
  decodeResponseFrame,
  encodeRequestFrame,
  errorFromCode,
  scramMechanism,
  type ApiName,
  type RequestInitOf,
  type ResponseOf,
} from '@strata/protocol';

export type RawResult<N extends ApiName> = { error: string; message: string } | { error: null; response: ResponseOf<N> };

export class RawConnection {
  private nextId = 1;
  private readonly waiting = new Map<number, (frame: Buffer) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const { correlationId } = decodeResponseFrame(data);
      this.waiting.get(correlationId)?.(data);
      this.waiting.delete(correlationId);
    });
  }

  /** Connects and authenticates as `user` (SCRAM-SHA-512). Rejects when authentication fails. */
  static async open(url: string, user: string, password: string): Promise<RawConnection> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new RawConnection(ws);
    try {
      await c.call('ApiVersions', { clientSoftwareName: 'raw-test', clientSoftwareVersion: '0' });
      const hs = await c.call('SaslHandshake', { mechanism: 'SCRAM-SHA-512' });
      if (hs.errorCode !== 0) throw errorFromCode(hs.errorCode, hs.errorMessage);
      const scram = new ScramClient(scramMechanism('SCRAM-SHA-512')!, user, password);
      const first = await c.call('SaslAuthenticate', { authBytes: scram.firstMessage() });
      if (first.errorCode !== 0) throw errorFromCode(first.errorCode, first.errorMessage);
      const final = await c.call('SaslAuthenticate', { authBytes: await scram.finalMessage(first.authBytes) });
      if (final.errorCode !== 0) throw errorFromCode(final.errorCode, final.errorMessage);
      scram.verifyServerFinal(final.authBytes);
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Sends a request; throws on a frame-level error. */
  async call<N extends ApiName>(api: N, body: RequestInitOf<N>): Promise<ResponseOf<N>> {
    const r = await this.send(api, body);
    if (r.error !== null) throw new Error(`${api}: ${r.error}: ${r.message}`);
    return r.response;
  }

  /** Sends a request; a frame-level error comes back as `{ error: <code name> }`. */
  send<N extends ApiName>(api: N, body: RequestInitOf<N>): Promise<RawResult<N>> {
    const correlationId = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${api}: no answer`)), 30_000);
      this.waiting.set(correlationId, (data) => {
        clearTimeout(timer);
        const frame = decodeResponseFrame(data);
        if (frame.errorCode !== 0) {
          const e = errorFromCode(frame.errorCode, decodeErrorResponse(frame.body).message);
          resolve({ error: e.code, message: e.message });
        } else resolve({ error: null, response: decodeMessage(apiOf(api).response, frame.body) as ResponseOf<N> });
      });
      this.ws.send(encodeRequestFrame(apiOf(api), { apiVersion: 0, correlationId, clientId: 'raw-test' }, body));
    });
  }

  close(): void {
    this.ws.terminate();
  }
}
