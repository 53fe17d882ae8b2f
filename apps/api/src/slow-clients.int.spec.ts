import { connect, type Socket } from 'node:net';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  apiKeyRecord,
  apiServerOnPostgres,
  type ApiServerOnPostgres,
} from './test-support/api-server-on-postgres.ts';

const HEADERS_MS = 600;
const REQUEST_MS = 1_200;
const PARTNER_KEY = 'nb-mes-key-0001-slow-clients';

/** A raw TCP client: what it was answered and when the server closed it, from its first byte. */
function rawClient(url: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const began = Date.now();
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => (received += text));
  socket.on('error', () => undefined);
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.on('close', () => resolve({ afterMs: Date.now() - began, received })),
  );
  return { socket, closed, received: () => received };
}

/** Writes `text` a byte at a time, one every `everyMs`, until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number) {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return clearInterval(timer);
    socket.write(text[at++]!);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

describeWithPostgres('clients that send slowly (a real HTTP server)', (database) => {
  let running: ApiServerOnPostgres;
  let url: string;
  let token: string;

  beforeAll(async () => {
    running = await apiServerOnPostgres(database().url, {
      headersTimeoutMs: HEADERS_MS,
      requestTimeoutMs: REQUEST_MS,
      apiKeys: [apiKeyRecord(PARTNER_KEY, 'northbridge-bio', 'nb-mes')],
    });
    url = running.server.url;
    token = await running.issuer.mint({
      personId: 'p-1',
      organizationId: 'northbridge-bio',
      roles: ['qa'],
    });
  });
  afterAll(async () => running?.close());

  it('answers 408 and closes a connection whose headers do not arrive in time', async () => {
    const client = rawClient(url);
    // Headers begun and never finished, a byte every 100 ms: a connection held open for nothing.
    trickle(client.socket, `GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(500)}`, 100);
    const { afterMs, received } = await client.closed;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(afterMs).toBeLessThan(HEADERS_MS * 8);
  });

  it('answers 408 and closes a request whose body does not arrive in time, on every route', async () => {
    // GraphQL, and HTTP ingest with a partner's key (without one, it answers 401 before reading).
    for (const [path, authorization] of [
      ['/graphql', `Bearer ${token}`],
      ['/ingest', `ApiKey ${PARTNER_KEY}`],
    ] as const) {
      const client = rawClient(url);
      client.socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Authorization: ${authorization}\r\nContent-Length: 100000\r\n\r\n{`,
      );
      trickle(client.socket, ' '.repeat(10_000), 100);
      const { afterMs, received } = await client.closed;
      expect(received, path).toMatch(/^HTTP\/1\.1 408/);
      expect(afterMs, path).toBeGreaterThanOrEqual(REQUEST_MS - 50);
      expect(afterMs, path).toBeLessThan(REQUEST_MS * 8);
    }
  });

  it('still answers a request sent in time, however long its answer streams (SSE)', async () => {
    const client = rawClient(url);
    const query = encodeURIComponent('subscription { batchChanged { batchId } }');
    client.socket.write(
      `GET /graphql?query=${query} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
    // Past both limits, the stream is still open: they bound what the client sends, not the answer.
    await new Promise((resolve) => setTimeout(resolve, REQUEST_MS * 3));
    expect(client.socket.destroyed).toBe(false);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
    client.socket.destroy();
    await client.closed;
  });

  it('keeps its answer to a normal request', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
  });
});
