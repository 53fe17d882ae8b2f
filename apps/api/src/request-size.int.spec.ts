import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  apiKeyRecord,
  apiServerOnPostgres,
  type ApiServerOnPostgres,
} from './test-support/api-server-on-postgres.ts';

const MIB = 1024 * 1024;
const PARTNER_KEY = 'nb-mes-key-0001-request-size';

interface Answer {
  status: number;
  body: string;
  /** Bytes of the body the client had written when the answer came. */
  written: number;
}

/**
 * Sends a POST from a plain `node:http` client: `declared` as its Content-Length (none: chunked),
 * then `total` bytes of `chunk`-sized pieces, as fast as the server reads them, until it answers.
 */
function post(
  url: string,
  path: string,
  options: { declared?: number; total: number; chunk?: number; headers?: Record<string, string> },
): Promise<Answer> {
  const { declared, total, chunk = 64 * 1024, headers = {} } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<Answer>((resolve, reject) => {
    let written = 0;
    let answered = false;
    const request = httpRequest(`${url}${path}`, {
      method: 'POST',
      // A connection of its own, kept alive (a closing one could end before its answer is read),
      // and not left for the next request (its body was cut short).
      agent,
      headers: {
        'content-type': 'application/json',
        ...(declared === undefined ? {} : { 'content-length': String(declared) }),
        ...headers,
      },
    });
    request.on('response', (response: IncomingMessage) => {
      answered = true;
      const at = written;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, written: at }));
      response.on('error', reject);
    });
    // The server may close the connection while the client still writes: that is its answer.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const piece = Buffer.alloc(chunk, 0x20);
    const writeMore = () => {
      while (!answered && written < total) {
        const size = Math.min(chunk, total - written);
        written += size;
        if (!request.write(size === chunk ? piece : piece.subarray(0, size)))
          return void request.once('drain', writeMore);
      }
      if (!answered) request.end();
    };
    writeMore();
  }).finally(() => agent.destroy());
}

describeWithPostgres('the size of what a client may send (a real HTTP server)', (database) => {
  let running: ApiServerOnPostgres;
  let url: string;
  let token: string;

  beforeAll(async () => {
    running = await apiServerOnPostgres(database().url, {
      apiKeys: [apiKeyRecord(PARTNER_KEY, 'northbridge-bio', 'nb-mes')],
    });
    url = running.server.url;
    token = await running.issuer.mint({
      personId: 'p-1',
      organizationId: 'northbridge-bio',
      roles: ['qa'],
      name: 'Dr. A. Tester',
    });
  });
  afterAll(async () => running?.close());

  const tooLarge = {
    errors: [
      { message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } },
    ],
  };

  it('refuses a GraphQL body declared above 1 MiB at once, without reading it', async () => {
    // 1 GiB announced, a few bytes sent: the answer cannot wait for the rest.
    const answer = await post(url, '/graphql', { declared: 1024 * MIB, total: 4 * MIB });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(tooLarge);
    expect(answer.written).toBeLessThan(4 * MIB);
    // One byte over is over.
    const justOver = await post(url, '/graphql', { declared: MIB + 1, total: MIB + 1 });
    expect(justOver.status).toBe(413);
    expect(JSON.parse(justOver.body)).toEqual(tooLarge);
  });

  it('refuses a GraphQL body sent without its length (chunked) once it passes 1 MiB', async () => {
    // What the client sends past the limit is read and let go: how much it wrote before the
    // answer reached it is the machine's timing, not the server's memory.
    const answer = await post(url, '/graphql', { total: 2 * MIB });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(tooLarge);
  });

  it('answers an operation of any size up to the limit as usual', async () => {
    const padding = 'x'.repeat(MIB - 1_000);
    const body = JSON.stringify({ query: '{ viewer { id } }', variables: { padding } });
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MIB - 1_000);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: { id: expect.any(String) } } });
  });

  it('reads no HTTP ingest body before the credential, and keeps none past 10 MiB', async () => {
    const batch = { 'content-type': 'application/cloudevents-batch+json' };
    // Without a partner's key: refused before a byte of the body is kept.
    const anonymous = await post(url, '/ingest', { total: 64 * MIB, headers: batch });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toEqual({
      error: "a partner system's credential is required (Authorization: ApiKey <key>)",
    });
    // With it: refused as soon as the body is known to pass 10 MiB, declared or chunked.
    const partner = { ...batch, authorization: `ApiKey ${PARTNER_KEY}` };
    const refusal = { error: 'the body exceeds 10485760 bytes' };
    const declared = await post(url, '/ingest', {
      declared: 64 * MIB,
      total: 64 * MIB,
      headers: partner,
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual(refusal);
    expect(declared.written).toBeLessThan(64 * MIB);
    const chunked = await post(url, '/ingest', { total: 64 * MIB, headers: partner });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual(refusal);
    // A body under the limit is read and judged as before: spaces are no CloudEvents.
    const small = await post(url, '/ingest', { total: 1_000, headers: partner });
    expect(small.status).toBe(400);
  });

  it('closes a graphql-ws connection whose message is above 1 MiB (1009, message too big)', async () => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, ['graphql-transport-ws']);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(2 * MIB) } }),
    );
    expect(await closed).toBe(1009);
  });
});
