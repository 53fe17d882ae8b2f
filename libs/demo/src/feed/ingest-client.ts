import { encodeHttpBatch, type ConcordEvent } from '@concord/contract';
import type { HttpIngestResponse } from '@concord/ingest';

export type IngestOutcome = HttpIngestResponse['outcomes'][number];

/** A request that got no outcomes; `retriable` says whether sending again can help. */
export class IngestRequestError extends Error {
  readonly retriable: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: { retriable: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestRequestError';
    this.retriable = options.retriable;
    this.status = options.status;
  }
}

const RETRIABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Posts one organization's events to Concord's HTTP ingest as a CloudEvents batch, with the
 * organization's API key (`Authorization: ApiKey <key>`: the partner client's transport only
 * speaks `Bearer`, which the platform reserves for people's tokens), and answers the outcomes.
 */
export async function postToIngest(options: {
  ingestUrl: string;
  apiKey: string;
  events: readonly ConcordEvent[];
  signal: AbortSignal;
  timeoutMs?: number;
}): Promise<IngestOutcome[]> {
  const { body, contentType } = encodeHttpBatch(options.events);
  let response: Response;
  try {
    response = await fetch(options.ingestUrl, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        authorization: `ApiKey ${options.apiKey}`,
        accept: 'application/json',
      },
      body,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)]),
    });
  } catch (cause) {
    throw new IngestRequestError(
      `Could not reach ${options.ingestUrl}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { retriable: true, cause },
    );
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new IngestRequestError(
      `Ingest answered ${response.status} at ${options.ingestUrl}: ${text.slice(0, 300)}`,
      { retriable: RETRIABLE_STATUS.has(response.status), status: response.status },
    );
  }
  let outcomes: unknown;
  try {
    outcomes = (JSON.parse(text) as Partial<HttpIngestResponse>).outcomes;
  } catch {
    outcomes = undefined;
  }
  if (!Array.isArray(outcomes) || outcomes.length !== options.events.length) {
    throw new IngestRequestError(
      `Ingest's answer at ${options.ingestUrl} holds no outcome per event (expected ${options.events.length}).`,
      { retriable: false, status: response.status },
    );
  }
  return outcomes as IngestOutcome[];
}
