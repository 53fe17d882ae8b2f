import { generateSigningKey, type ConcordEvent } from '@concord/contract';
import { InMemoryEventStore } from '@concord/event-store';
import {
  bearerTokens,
  httpIngestHandler,
  inMemoryOutcomeLog,
  IngestPipeline,
  type HttpIngestResponse,
} from '@concord/ingest';
import { CDMO, example, seedPartnerWorld, type PartnerWorld } from '@concord/ingest/test-support';
import { getEventListeners } from 'node:events';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpStatusError, InvalidEventError, PartnerClientError } from './errors.ts';
import { httpTransport } from './http-transport.ts';
import type { IngestOutcome } from './outcome.ts';
import { createPartner, type Partner } from './partner.ts';

// What the endpoint answers is what the client reads (a compile-time check).
const _sameShape: IngestOutcome = {} as HttpIngestResponse['outcomes'][number];

/** A partner's event from a published example, without its id and signature. */
function unsigned(path: string, overrides: Record<string, unknown> = {}) {
  const { id: _id, signature: _s, signaturekeyid: _k, ...event } = example(path);
  return { ...event, ...overrides };
}

describe('the HTTP transport against the ingest endpoint', () => {
  let world: PartnerWorld;
  let partner: Partner;
  let handler: (request: Request) => Promise<Response>;
  let requests: Request[];
  const fetch = async (request: Request) => {
    requests.push(request.clone());
    return handler(request);
  };
  const transport = (options: Partial<Parameters<typeof httpTransport>[0]> = {}) =>
    httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 'cdmo-token' },
      fetch,
      ...options,
    });

  beforeEach(async () => {
    const store = new InMemoryEventStore();
    world = await seedPartnerWorld(store);
    handler = httpIngestHandler({
      pipeline: new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() }),
      authenticate: bearerTokens({ 'cdmo-token': CDMO }),
    });
    requests = [];
    partner = createPartner({
      organizationId: CDMO,
      keyId: world.keys[CDMO]!.keyId,
      privateKeyPem: world.keys[CDMO]!.privateKeyPem,
      defaultSource: `urn:concord:${CDMO}:mes`,
    });
  });

  it('sends one event in structured mode with the bearer token and reads its outcome', async () => {
    const event = partner.complete(unsigned('batch/scheduled.v1'));
    const outcome = await transport().send(event);
    expect(outcome).toMatchObject({ status: 'accepted', id: event.id, duplicate: false });
    const [request] = requests;
    expect(request!.url).toBe('http://concord.test/ingest');
    expect(request!.headers.get('authorization')).toBe('Bearer cdmo-token');
    expect(request!.headers.get('content-type')).toMatch(/^application\/cloudevents\+json/);
    // A redelivery is recognized: accepted again, nothing new recorded.
    expect(await transport().send(event)).toMatchObject({ status: 'accepted', duplicate: true });
  });

  it('sends batches in order, at most batchSize events each, one outcome per event', async () => {
    const events = [
      partner.complete(unsigned('batch/scheduled.v1')),
      partner.complete(unsigned('batch/manufacturing-started.v1')),
      partner.complete(unsigned('batch/shipped.v1')),
    ];
    const seen: number[] = [];
    const outcomes = await transport({ batchSize: 2 }).sendBatch(events, (_, first) =>
      seen.push(first),
    );
    expect(requests).toHaveLength(2);
    expect(seen).toEqual([0, 2]);
    expect(requests[0]!.headers.get('content-type')).toMatch(/cloudevents-batch\+json/);
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'rejected']);
    expect(outcomes[2]).toMatchObject({
      rejection: { rejectedEventId: events[2]!.id, code: expect.stringMatching(/^batch\./) },
    });
  });

  it('rejects what ingest refuses with its code and path (a key it does not know)', async () => {
    const stranger = createPartner({
      organizationId: CDMO,
      keyId: `${CDMO}:unregistered`,
      privateKeyPem: generateSigningKey().privateKeyPem,
      defaultSource: `urn:concord:${CDMO}:mes`,
    });
    const outcome = await transport().send(stranger.complete(unsigned('batch/scheduled.v1')));
    expect(outcome).toMatchObject({
      status: 'rejected',
      rejection: { code: 'sender.unknown-signing-key' },
    });
  });

  it('checks every event before the first request: an invalid one sends nothing', async () => {
    const good = partner.complete(unsigned('batch/scheduled.v1'));
    const broken = { ...good, subject: '' } as ConcordEvent;
    const error = await transport()
      .sendBatch([good, broken])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).message).toMatch(/^Event 1 /);
    expect(requests).toHaveLength(0);
  });

  it('gives up at once on a refused token (not retriable)', async () => {
    const error = await transport({ credential: { token: 'stolen' } })
      .send(partner.complete(unsigned('batch/scheduled.v1')))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 401, retriable: false });
    expect(requests).toHaveLength(1);
  });

  it("sends a partner system's API key as Concord's endpoint takes it", async () => {
    await transport({ credential: { apiKey: 'k-nb-mes-1' } })
      .send(partner.complete(unsigned('batch/scheduled.v1')))
      .catch(() => undefined);
    expect(requests[0]!.headers.get('authorization')).toBe('ApiKey k-nb-mes-1');
  });

  it('stops a request in flight when its signal aborts', async () => {
    const controller = new AbortController();
    handler = (request) =>
      new Promise((_resolve, reject) =>
        request.signal.addEventListener('abort', () => reject(request.signal.reason)),
      );
    const sending = transport({ signal: controller.signal, retry: { retries: 0 } }).send(
      partner.complete(unsigned('batch/scheduled.v1')),
    );
    controller.abort();
    await expect(sending).rejects.toBeInstanceOf(PartnerClientError);
  });
});

describe('the HTTP transport when the network or the platform fails', () => {
  const partner = createPartner({
    organizationId: CDMO,
    keyId: `${CDMO}:k`,
    privateKeyPem: generateSigningKey().privateKeyPem,
    defaultSource: `urn:concord:${CDMO}:mes`,
  });
  const event = partner.complete(unsigned('batch/scheduled.v1'));
  const accepted = (count: number) =>
    Response.json({
      outcomes: Array.from({ length: count }, () => ({ status: 'accepted', duplicate: false })),
    });
  const retry = { retries: 3, initialRetryTimeMs: 1, maxRetryTimeMs: 5 };

  it('retries network failures and 5xx/429, since ingest recognizes redeliveries', async () => {
    const answers: (() => Response)[] = [
      () => {
        throw new TypeError('fetch failed');
      },
      () => new Response('busy', { status: 503 }),
      () => new Response('slow down', { status: 429, headers: { 'retry-after': '0' } }),
      () => accepted(1),
    ];
    let calls = 0;
    const transport = httpTransport({
      baseUrl: 'http://concord.test/api',
      credential: { token: 't' },
      retry,
      fetch: async (request) => {
        expect(request.url).toBe('http://concord.test/api/ingest');
        return answers[calls++]!();
      },
    });
    expect(await transport.send(event)).toMatchObject({ status: 'accepted' });
    expect(calls).toBe(4);
  });

  it('stops after the retries, with a retriable error carrying its cause', async () => {
    let calls = 0;
    const cause = new TypeError('connect ECONNREFUSED');
    const transport = httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      retry,
      fetch: async () => {
        calls++;
        throw cause;
      },
    });
    const error = await transport.send(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartnerClientError);
    expect(error).toMatchObject({ retriable: true, cause });
    expect(calls).toBe(4);
  });

  it('never retries what the platform cannot read (400, 413, 415)', async () => {
    for (const status of [400, 413, 415]) {
      let calls = 0;
      const transport = httpTransport({
        baseUrl: 'http://concord.test',
        credential: { token: 't' },
        retry,
        fetch: async () => {
          calls++;
          return Response.json({ error: 'unreadable' }, { status });
        },
      });
      const error = await transport.send(event).catch((e: unknown) => e);
      expect(error).toMatchObject({ status, retriable: false, message: /unreadable/ });
      expect(calls).toBe(1);
    }
  });

  it('splits large sends by count (500 by default) and by bytes', async () => {
    const sizes: number[] = [];
    const counting = async (request: Request) => {
      const batch = (await request.json()) as unknown[];
      sizes.push(batch.length);
      return accepted(batch.length);
    };
    const events = Array.from({ length: 1001 }, () => event);
    const outcomes = await httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      fetch: counting,
    }).sendBatch(events);
    expect(sizes).toEqual([500, 500, 1]);
    expect(outcomes).toHaveLength(1001);

    sizes.length = 0;
    const oneEvent = JSON.stringify(event).length;
    await httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      fetch: counting,
      maxBatchBytes: oneEvent * 3 + 10,
    }).sendBatch(events.slice(0, 7));
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('refuses an answer without one outcome per event', async () => {
    const transport = httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      fetch: async () => accepted(2),
    });
    await expect(transport.send(event)).rejects.toMatchObject({ retriable: false });
  });

  it('times out a request that gets no answer, and an answer that stops half-way, as retriable', async () => {
    const silent = httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      timeoutMs: 50,
      retry: { retries: 0 },
      fetch: (request) =>
        new Promise((_resolve, reject) =>
          request.signal.addEventListener('abort', () => reject(request.signal.reason)),
        ),
    });
    await expect(silent.send(event)).rejects.toMatchObject({
      retriable: true,
      message: expect.stringMatching(
        /Could not reach http:\/\/concord\.test: no answer within 50 ms/,
      ),
    });

    const cutOff = httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      timeoutMs: 50,
      retry: { retries: 0 },
      fetch: async (request) => {
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"outcomes":['));
            request.signal.addEventListener('abort', () => controller.error(request.signal.reason));
          },
        });
        return new Response(body, { headers: { 'content-type': 'application/json' } });
      },
    });
    await expect(cutOff.send(event)).rejects.toMatchObject({
      retriable: true,
      message: expect.stringMatching(/stopped answering: no answer within 50 ms/),
    });
  });

  it('times out on its own a fetch, or an answer, that never hears the abort', async () => {
    // A `fetch` option that ignores the request's signal (or a request collected before the
    // abort reached it) must not leave the partner's send waiting without end.
    const deaf = (answer?: () => Response) =>
      httpTransport({
        baseUrl: 'http://concord.test',
        credential: { token: 't' },
        timeoutMs: 50,
        retry: { retries: 0 },
        fetch: () => new Promise<Response>((resolve) => answer && resolve(answer())),
      });
    await expect(deaf().send(event)).rejects.toMatchObject({
      retriable: true,
      message: expect.stringMatching(/no answer within 50 ms/),
    });
    const endless = () =>
      new Response(
        new ReadableStream({
          start: (controller) => controller.enqueue(new TextEncoder().encode('{"outcomes":[')),
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    await expect(deaf(endless).send(event)).rejects.toMatchObject({
      retriable: true,
      message: expect.stringMatching(/stopped answering: no answer within 50 ms/),
    });
  });

  it('refuses to send under a signal that has already aborted', async () => {
    let sent = 0;
    const transport = httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      signal: AbortSignal.abort(new Error('shutting down')),
      retry: { retries: 0 },
      fetch: async (request) => {
        sent++;
        request.signal.throwIfAborted();
        return accepted(1);
      },
    });
    await expect(transport.send(event)).rejects.toMatchObject({
      message: expect.stringContaining('shutting down'),
    });
    expect(sent).toBeLessThanOrEqual(1);
  });

  it('leaves nothing behind on a long-lived signal, however many requests it covers', async () => {
    // A partner system sends for days under one shutdown signal: each request's timer and
    // listener must go with the request, or memory grows with every request.
    const shutdown = new AbortController();
    const requests = 300;
    const transport = httpTransport({
      baseUrl: 'http://concord.test',
      credential: { token: 't' },
      signal: shutdown.signal,
      fetch: async () => accepted(1),
    });
    for (let i = 0; i < requests; i++) await transport.send(event);

    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    // Whatever the runtime keeps on the signal itself (Node keeps one record per signal composed
    // with AbortSignal.any) must not grow with the requests.
    const heldBySignal = Object.getOwnPropertySymbols(shutdown.signal).map((key) => {
      // Node's own collections are not this realm's Set and Map: read any size there is.
      const value = (shutdown.signal as unknown as Record<symbol, { size?: unknown } | undefined>)[
        key
      ];
      return typeof value?.size === 'number' ? value.size : 0;
    });
    expect(Math.max(0, ...heldBySignal)).toBeLessThan(requests);
  });
});
