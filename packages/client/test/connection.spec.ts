/**
 * Low-level connection behaviour against a frame-speaking test server: handshake order, version
 * negotiation, pipelining, timeouts, error frames, close handling. Client behaviour (admin,
 * producer, consumer) is tested against the real broker elsewhere.
 */
import { ApiKey, Apis, ERRORS, decodeMessage } from '@strata/protocol';
import { StrataConnectionError, StrataError, StrataRequestTimeoutError } from '../src';
import { BrokerConnection } from '../src/network/broker-connection';
import { until } from './helpers/collect';
import { makeConnection, rejectionOf } from './helpers/connections';
import { apiVersionsBody, startFrameServer, type FrameServer } from './helpers/frame-server';
import { ManualClock } from './helpers/manual-clock';

describe('BrokerConnection', () => {
  let server: FrameServer;
  beforeEach(async () => {
    server = await startFrameServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('opens a new connection, handshake first, on the next request after the socket dropped', async () => {
    server.onRequest = (r) => server.respond(r, 'Metadata', { controllerId: 1 });
    const broker = new BrokerConnection(server.url, (url, onClose) => makeConnection(url, { onClose }).connection);
    try {
      await broker.request('Metadata', {});
      const closed = new Promise<void>((resolve) => server.sockets()[0]!.once('close', () => resolve()));
      for (const s of server.sockets()) s.terminate();
      await closed;
      await until(() => !broker.isConnected, 'the client to see the close');
      expect((await broker.request('Metadata', {})).controllerId).toBe(1);
      expect(server.received.map((r) => r.header.apiKey)).toEqual([ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.ApiVersions, ApiKey.Metadata]);
    } finally {
      broker.close();
    }
    await expect(broker.request('Metadata', {})).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('shares one connection attempt between concurrent callers', async () => {
    let opened = 0;
    const broker = new BrokerConnection(server.url, (url, onClose) => {
      opened++;
      return makeConnection(url, { onClose }).connection;
    });
    const [a, b] = await Promise.all([broker.connection(), broker.connection()]);
    expect(a).toBe(b);
    expect(opened).toBe(1);
    broker.close();
  });
});

describe('Connection', () => {
  let server: FrameServer;
  beforeEach(async () => {
    server = await startFrameServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends ApiVersions first, then requests at the highest common version', async () => {
    const { connection } = makeConnection(server.url);
    server.onRequest = (r) => server.respond(r, 'Metadata', { brokers: [{ nodeId: 7, url: server.url }], controllerId: 7 });
    await connection.connect();
    const response = await connection.request('Metadata', { topics: [] });
    expect(response.brokers).toMatchObject([{ nodeId: 7, url: server.url, rack: '' }]);
    expect(server.received.map((r) => r.header.apiKey)).toEqual([ApiKey.ApiVersions, ApiKey.Metadata]);
    expect(server.received[0]!.header.apiVersion).toBe(0);
    expect(server.received[1]!.header).toMatchObject({ apiVersion: Apis.Metadata.maxVersion, clientId: 'conn-test' });
    expect(decodeMessage(Apis.ApiVersions.request, server.received[0]!.body).clientSoftwareName).toBe('strata-js');
    expect(connection.broker).toMatchObject({ brokerId: 7, clusterId: 'test-cluster', maxBatchBytes: 64 * 1024 });
    connection.close();
  });

  it('fails requests for APIs the broker does not list with UNSUPPORTED_VERSION, without sending them', async () => {
    server.onHandshake = (r) => server.respond(r, 'ApiVersions', { ...apiVersionsBody(), apiKeys: [{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 0 }] });
    const { connection } = makeConnection(server.url);
    await connection.connect();
    const error = await rejectionOf(connection.request('Fetch', {}));
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('UNSUPPORTED_VERSION');
    expect(server.received).toHaveLength(1);
    connection.close();
  });

  it('matches pipelined responses by correlation id, whatever their order', async () => {
    const { connection } = makeConnection(server.url);
    await connection.connect();
    const topics = ['a', 'b', 'c'];
    const pending = topics.map((t) => connection.request('Metadata', { topics: [t] }));
    await server.waitForRequests(4);
    // Answer in reverse order, echoing the topic so each response is recognisable.
    for (const r of server.received.slice(1).reverse()) {
      const name = decodeMessage(Apis.Metadata.request, r.body).topics[0]!;
      server.respond(r, 'Metadata', { topics: [{ name, errorCode: 0 }] });
    }
    const responses = await Promise.all(pending);
    expect(responses.map((r) => r.topics[0]!.name)).toEqual(topics);
    const ids = server.received.slice(1).map((r) => r.header.correlationId);
    expect(new Set(ids).size).toBe(3);
    connection.close();
  });

  it('rejects a request with REQUEST_TIMED_OUT and keeps a connection that answers other requests', async () => {
    const clock = new ManualClock();
    const { connection, events } = makeConnection(server.url, { clock, requestTimeoutMs: 1000 });
    const timeouts: string[] = [];
    events.on('connection.request_timeout', (e) => timeouts.push(e.payload.apiName));
    await connection.connect();
    const silent = connection.request('DescribeTopics', {});
    await server.waitForRequests(2);
    server.onRequest = (r) => server.respond(r, 'Metadata', { controllerId: 3 });
    expect((await connection.request('Metadata', {})).controllerId).toBe(3);
    clock.advance(999);
    clock.advance(1);
    const error = await rejectionOf(silent);
    expect(error).toBeInstanceOf(StrataRequestTimeoutError);
    expect((error as StrataError).code).toBe('REQUEST_TIMED_OUT');
    expect((error as StrataError).retriable).toBe(true);
    expect(timeouts).toEqual(['DescribeTopics']);
    // A late response for the timed-out request is ignored; the connection still works.
    server.respond(server.received[1]!, 'DescribeTopics', {});
    expect((await connection.request('Metadata', {})).controllerId).toBe(3);
    expect(connection.isReady).toBe(true);
    connection.close();
  });

  it('closes a connection on which nothing arrived since a request that timed out', async () => {
    const clock = new ManualClock();
    const { connection } = makeConnection(server.url, { clock, requestTimeoutMs: 1000 });
    await connection.connect();
    const silent = connection.request('Metadata', {});
    const other = connection.request('DescribeTopics', {});
    await server.waitForRequests(3);
    clock.advance(1000);
    expect((await rejectionOf(silent)) as StrataError).toMatchObject({ code: 'REQUEST_TIMED_OUT' });
    expect((await rejectionOf(other)) as StrataError).toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true });
    expect(connection.isClosed).toBe(true);
  });

  it('rejects every pending request with a retriable NETWORK_EXCEPTION when the connection closes', async () => {
    const { connection, events } = makeConnection(server.url);
    const closes: Array<Error | undefined> = [];
    events.on('connection.close', (e) => closes.push(e.payload.error));
    await connection.connect();
    const pending = [connection.request('Metadata', {}), connection.request('DescribeTopics', {})];
    await server.waitForRequests(3);
    for (const s of server.sockets()) s.terminate();
    for (const p of pending) {
      const error = await rejectionOf(p);
      expect(error).toBeInstanceOf(StrataConnectionError);
      expect((error as StrataError).code).toBe('NETWORK_EXCEPTION');
      expect((error as StrataError).retriable).toBe(true);
    }
    expect(connection.isClosed).toBe(true);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(StrataConnectionError);
    const after = await rejectionOf(connection.request('Metadata', {}));
    expect((after as StrataError).code).toBe('NETWORK_EXCEPTION');
  });

  it('rejects pending requests when the client closes the connection', async () => {
    const { connection } = makeConnection(server.url);
    await connection.connect();
    const pending = connection.request('Metadata', {});
    await server.waitForRequests(2);
    connection.close();
    const error = await rejectionOf(pending);
    expect((error as StrataError).code).toBe('NETWORK_EXCEPTION');
  });

  it('turns a request-level error frame into the typed error with the broker message', async () => {
    server.onRequest = (r) => server.respondError(r, ERRORS.INVALID_REQUEST.code, 'the body made no sense');
    const { connection } = makeConnection(server.url);
    await connection.connect();
    const error = await rejectionOf(connection.request('Metadata', {}));
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', errorCode: 42, retriable: false, message: 'the body made no sense' });
    connection.close();
  });

  it('resolves a request without response (Produce acks=0) once written', async () => {
    const { connection } = makeConnection(server.url);
    await connection.connect();
    await connection.send('Produce', { acks: 0, topics: [] });
    await server.waitForRequests(2);
    expect(server.received[1]!.header.apiKey).toBe(ApiKey.Produce);
    expect(connection.pendingCount).toBe(0);
    connection.close();
  });

  it('holds requests beyond maxInFlightRequests until a response frees a slot, keeping their order', async () => {
    const { connection } = makeConnection(server.url, { maxInFlightRequests: 2 });
    await connection.connect();
    const all = ['a', 'b', 'c', 'd'].map((t) => connection.request('Metadata', { topics: [t] }));
    await server.waitForRequests(3);
    expect(server.received).toHaveLength(3);
    expect(connection.pendingCount).toBe(4);
    server.onRequest = (r) => server.respond(r, 'Metadata', {});
    server.respond(server.received[1]!, 'Metadata', {});
    server.respond(server.received[2]!, 'Metadata', {});
    await Promise.all(all);
    expect(server.received.slice(1).map((r) => decodeMessage(Apis.Metadata.request, r.body).topics[0])).toEqual(['a', 'b', 'c', 'd']);
    connection.close();
  });

  it('fails connect() when the broker refuses the handshake and closes', async () => {
    server.onHandshake = (r) => {
      server.respondError(r, ERRORS.UNSUPPORTED_VERSION.code, 'ApiVersions version 0 is not supported');
      r.socket.close();
    };
    const { connection } = makeConnection(server.url);
    const error = await rejectionOf(connection.connect());
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('UNSUPPORTED_VERSION');
    expect(connection.isClosed).toBe(true);
  });

  it('times out connect() when the handshake gets no answer', async () => {
    const clock = new ManualClock();
    server.onHandshake = () => undefined;
    const { connection } = makeConnection(server.url, { clock, connectionTimeoutMs: 500 });
    const connecting = connection.connect();
    await server.waitForRequests(1);
    clock.advance(500);
    const error = await rejectionOf(connecting);
    expect((error as StrataError).retriable).toBe(true);
    expect(connection.isClosed).toBe(true);
  });

  it('closes the connection on a malformed response frame', async () => {
    server.onRequest = (r) => r.socket.send(new Uint8Array([1, 2, 3]));
    const { connection } = makeConnection(server.url);
    await connection.connect();
    const error = await rejectionOf(connection.request('Metadata', {}));
    expect((error as StrataError).code).toBe('NETWORK_EXCEPTION');
    expect(error.message).toMatch(/shorter than/);
    expect(connection.isClosed).toBe(true);
  });

  it('reports a refused connection as a retriable StrataConnectionError', async () => {
    const url = server.url;
    await server.close();
    const { connection } = makeConnection(url);
    const error = await rejectionOf(connection.connect());
    expect(error).toBeInstanceOf(StrataConnectionError);
    expect((error as StrataError).retriable).toBe(true);
    server = await startFrameServer();
  });
});
