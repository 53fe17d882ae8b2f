import {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
  ContractViolationError,
  encodeHttpStructured,
  type ConcordEvent,
} from '@concord/contract';
import { HttpStatusError, InvalidEventError, PartnerClientError } from './errors.ts';
import type { IngestOutcome } from './outcome.ts';
import { withRetries, type RetryOptions } from './retry.ts';

export interface HttpTransportOptions {
  /** Where Concord listens, e.g. `https://concord.example.com/`. */
  baseUrl: string | URL;
  /**
   * The partner system's credential: an API key Concord issued (`Authorization: ApiKey <key>`,
   * what Concord's own endpoint takes), or a bearer token for an endpoint that takes one.
   */
  credential: { apiKey: string } | { token: string };
  /** The ingest endpoint, relative to `baseUrl`. @default 'ingest' */
  path?: string;
  /** A Fetch API function (a test can pass a handler straight in). @default globalThis.fetch */
  fetch?: (request: Request) => Promise<Response>;
  /** Most events per request. @default 500 (the platform takes up to 1000) */
  batchSize?: number;
  /** Largest request body, in bytes. @default 8 MiB (the platform takes up to 10 MiB) */
  maxBatchBytes?: number;
  /** Per request. @default 30000 */
  timeoutMs?: number;
  /** Cancels requests in flight (and retries) when it aborts, e.g. on shutdown. */
  signal?: AbortSignal;
  /** Network failures, 408, 429 and 5xx are retried (ingest recognizes redeliveries). */
  retry?: RetryOptions;
}

export interface HttpTransport {
  /** Sends one event in structured mode; resolves to Concord's outcome for it. */
  send(event: ConcordEvent): Promise<IngestOutcome>;
  /**
   * Sends events as batches (at most `batchSize` events and `maxBatchBytes` each, in order) and
   * resolves to one outcome per event, in the order given. Every event is checked before the
   * first request, so an invalid one sends nothing. `onBatch` hears each answered batch.
   */
  sendBatch(
    events: readonly ConcordEvent[],
    onBatch?: (outcomes: readonly IngestOutcome[], firstIndex: number) => void,
  ): Promise<IngestOutcome[]>;
}

const RETRIABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function encode(event: ConcordEvent, index?: number): string {
  try {
    return encodeHttpStructured(event).body;
  } catch (error) {
    if (error instanceof ContractViolationError) {
      throw new InvalidEventError(error.errors, {
        cause: error,
        prefix: index === undefined ? undefined : `Event ${index} breaks the Concord contract`,
      });
    }
    throw error;
  }
}

/**
 * One request's signal: aborted by the caller's signal or after `timeoutMs` (which also bounds
 * reading the answer). `release` clears the timer and the listener. Not `AbortSignal.any`: Node
 * keeps a record on the caller's signal for every signal composed from it while it lives, so a
 * client sending for days under one shutdown signal would grow without end.
 */
function requestSignal(caller: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  const abort = () => controller.abort(caller?.reason);
  if (caller?.aborted) abort();
  else caller?.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', abort);
    },
  };
}

/**
 * Rejects with the signal's reason once it aborts: the transport's own bound on a fetch and on
 * reading its answer, whether or not they honour the signal. A `fetch` option may not (nor may a
 * `Request` that nothing holds any more: undici follows the caller's signal through a weak
 * reference, so a collected request never hears the abort), and a request must not wait without
 * end for either.
 */
function abortion(signal: AbortSignal): Promise<never> {
  const stopped = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  stopped.catch(() => undefined); // only ever raced
  return stopped;
}

const retryAfterMs = (error: PartnerClientError) =>
  error instanceof HttpStatusError ? error.retryAfterMs : undefined;

/** Sends events to Concord's HTTP ingest endpoint (CloudEvents structured mode). */
export function httpTransport(options: HttpTransportOptions): HttpTransport {
  const base = new URL(options.baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const endpoint = new URL(options.path ?? 'ingest', base);
  const fetchFn = options.fetch ?? ((request: Request) => fetch(request));
  const batchSize = options.batchSize ?? 500;
  const maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const authorization =
    'apiKey' in options.credential
      ? `ApiKey ${options.credential.apiKey}`
      : `Bearer ${options.credential.token}`;

  async function post(contentType: string, body: string, count: number): Promise<IngestOutcome[]> {
    const request = requestSignal(options.signal, timeoutMs);
    try {
      return await postWithin(request.signal, contentType, body, count);
    } finally {
      request.release();
    }
  }

  async function postWithin(
    signal: AbortSignal,
    contentType: string,
    body: string,
    count: number,
  ): Promise<IngestOutcome[]> {
    const stopped = abortion(signal);
    let response: Response;
    try {
      response = await Promise.race([
        fetchFn(
          new Request(endpoint, {
            method: 'POST',
            headers: {
              'content-type': `${contentType}; charset=utf-8`,
              authorization: authorization,
              accept: 'application/json',
            },
            body,
            signal,
          }),
        ),
        stopped,
      ]);
    } catch (cause) {
      throw new PartnerClientError(
        `Could not reach ${endpoint.origin}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { retriable: true, cause },
      );
    }
    const text = await Promise.race([response.text(), stopped]).catch((cause: unknown) => {
      // An answer cut off (or timed out) half-way may still have been an acceptance: retry, as
      // ingest recognizes the redelivery.
      if (!response.ok) return '';
      throw new PartnerClientError(
        `${endpoint.origin} stopped answering: ${cause instanceof Error ? cause.message : String(cause)}`,
        { retriable: true, cause },
      );
    });
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    if (!response.ok) {
      const detail = (json as { error?: unknown } | undefined)?.error;
      const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
      const why =
        response.status === 401 || response.status === 403
          ? 'the token was refused'
          : typeof detail === 'string'
            ? detail
            : response.statusText || 'error';
      throw new HttpStatusError(
        response.status,
        json,
        `Concord answered ${response.status} (${why}) at ${endpoint.href}`,
        {
          retriable: RETRIABLE_STATUS.has(response.status),
          retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined,
        },
      );
    }
    const outcomes = (json as { outcomes?: unknown } | undefined)?.outcomes;
    if (!Array.isArray(outcomes) || outcomes.length !== count) {
      throw new PartnerClientError(
        `Concord's answer at ${endpoint.href} holds no outcome per event (expected ${count}).`,
        { retriable: false },
      );
    }
    return outcomes as IngestOutcome[];
  }

  const send = (contentType: string, body: string, count: number) =>
    withRetries(() => post(contentType, body, count), options.retry, retryAfterMs);

  return {
    async send(event) {
      const [outcome] = await send(CLOUDEVENTS_JSON, encode(event), 1);
      return outcome!;
    },
    async sendBatch(events, onBatch) {
      const bodies = events.map((event, index) => encode(event, index));
      const outcomes: IngestOutcome[] = [];
      let start = 0;
      while (start < bodies.length) {
        let end = start;
        let bytes = 2;
        while (end < bodies.length && end - start < batchSize) {
          const size = Buffer.byteLength(bodies[end]!) + 1;
          if (end > start && bytes + size > maxBatchBytes) break;
          bytes += size;
          end++;
        }
        const answered = await send(
          CLOUDEVENTS_BATCH_JSON,
          `[${bodies.slice(start, end).join(',')}]`,
          end - start,
        );
        onBatch?.(answered, start);
        outcomes.push(...answered);
        start = end;
      }
      return outcomes;
    },
  };
}
