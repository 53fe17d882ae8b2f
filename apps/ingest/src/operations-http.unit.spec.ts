import { connect } from 'node:net';
import { parsePrometheusText } from '@concord/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestMetrics } from './metrics.ts';
import { startIngestHttp, type IngestHttp } from './operations-http.ts';

const REQUEST_MS = 600;

/** A raw TCP client writing `text` a byte every `everyMs`: what it got and when it was closed. */
function trickling(url: string, text: string, everyMs: number) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const began = Date.now();
  let received = '';
  let at = 0;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const timer = setInterval(() => {
    if (!socket.destroyed && at < text.length) socket.write(text[at++]!);
  }, everyMs);
  return new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - began, received });
    }),
  );
}

describe("the ingest process's operations port (a real HTTP server)", () => {
  let http: IngestHttp;
  const metrics = new IngestMetrics();

  beforeAll(async () => {
    http = await startIngestHttp({
      metrics,
      db: { query: async () => ({ rows: [{}], rowCount: 1 }) } as never,
      port: 0,
      requestTimeoutMs: REQUEST_MS,
    });
  });
  afterAll(async () => http?.close());

  it('answers 408 and closes a connection whose request does not arrive in time', async () => {
    const request = 'GET /metrics HTTP/1.1\r\nHost: ops\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
    const { afterMs, received } = await trickling(http.url, request, 20);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    // Looked at every REQUEST_MS / 4: closed well before Node's own 60 s.
    expect(afterMs).toBeLessThan(REQUEST_MS * 4);
  });

  it('still answers a probe that asks at a normal pace', async () => {
    const response = await fetch(`${http.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it("serves each record's time from its Kafka timestamp to its answer, by partner and outcome", async () => {
    const now = Date.parse('2026-12-01T08:00:00.000Z');
    metrics.answered('northbridge-bio', 'rejected', now - 1_500, now);
    metrics.answered('northbridge-bio', 'accepted', now - 40, now);
    // A producer's clock ahead of this one counts as no time; a record without one is not timed.
    metrics.answered('northbridge-bio', 'accepted', now + 5_000, now);
    metrics.answered('northbridge-bio', 'accepted', Number('not a timestamp'), now);
    const scraped = parsePrometheusText(await (await fetch(`${http.url}/metrics`)).text());
    const family = scraped.get('concord_ingest_answer_seconds')!;
    expect(family.type).toBe('histogram');
    const value = (name: string, outcome: string, le?: string) =>
      family.samples.find(
        (s) =>
          s.name === `concord_ingest_answer_seconds_${name}` &&
          s.labels.organization === 'northbridge-bio' &&
          s.labels.outcome === outcome &&
          s.labels.le === le,
      )?.value;
    expect(value('bucket', 'rejected', '1')).toBe(0);
    expect(value('bucket', 'rejected', '2.5')).toBe(1);
    expect(value('sum', 'rejected')).toBeCloseTo(1.5, 6);
    expect(value('bucket', 'accepted', '0.005')).toBe(1);
    expect(value('bucket', 'accepted', '0.05')).toBe(2);
    expect(value('count', 'accepted')).toBe(2);
    expect(value('sum', 'accepted')).toBeCloseTo(0.04, 6);
  });
});
