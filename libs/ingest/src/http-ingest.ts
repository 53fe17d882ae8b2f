import { DEFAULT_MAX_BATCH_BYTES, decodeHttp } from '@concord/contract';
import type { SignedReceipt } from '@concord/verifier';
import type { IngestPipeline } from './ingest-pipeline.ts';
import type { Outcome } from './outcome.ts';

/** Who is calling: the organization a bearer token stands for (undefined: not authenticated). */
export type HttpAuthenticator = (
  request: Request,
) => Promise<string | undefined> | string | undefined;

/** The JSON body of an HTTP ingest answer: one outcome per event, in the order sent. */
export interface HttpIngestResponse {
  outcomes: (
    | {
        status: 'accepted';
        id: string;
        source: string;
        eventId: string;
        duplicate: boolean;
        positions: string[];
        /** The platform's signed receipt, the same on every redelivery: the partner keeps it. */
        receipt?: SignedReceipt;
      }
    | {
        status: 'rejected';
        rejection: Extract<Outcome, { status: 'rejected' }>['rejection'];
        receipt?: SignedReceipt;
      }
  )[];
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * HTTP ingest in CloudEvents structured mode (`application/cloudevents+json`) or batch mode
 * (`application/cloudevents-batch+json`), through the same pipeline as Kafka. The caller's
 * organization comes from its credential, never from the event. Answers 200 with an outcome per
 * event (accepted or rejected), 400/413/415 when the body as a whole cannot be read, 401 without
 * a valid credential. A Fetch API handler: mount it in any server (graphql-yoga's included).
 */
export function httpIngestHandler(options: {
  pipeline: IngestPipeline;
  authenticate: HttpAuthenticator;
  /** @default 10 MiB */
  maxBodyBytes?: number;
}): (request: Request) => Promise<Response> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BATCH_BYTES;
  return async (request) => {
    if (request.method !== 'POST') return json(405, { error: 'POST CloudEvents here' });
    const organizationId = await options.authenticate(request);
    if (!organizationId)
      return json(401, {
        error: "a partner system's credential is required (Authorization: ApiKey <key>)",
      });
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > maxBodyBytes)
      return json(413, { error: `the body exceeds ${maxBodyBytes} bytes` });
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > maxBodyBytes)
      return json(413, { error: `the body exceeds ${maxBodyBytes} bytes` });

    const decoded = decodeHttp(
      { contentType: request.headers.get('content-type'), body },
      { maxBatchBytes: maxBodyBytes },
    );
    if (!decoded.ok) {
      const first = decoded.errors[0];
      const status =
        first?.code === 'unsupported-content-type' ? 415 : first?.code === 'too-large' ? 413 : 400;
      return json(status, { error: first?.message ?? 'unreadable body', errors: decoded.errors });
    }
    // Decided in the order sent: a batch's events about one batch stay ordered.
    const results = await options.pipeline.ingestMany(
      decoded.results.map((result) => ({
        channelOrganizationId: organizationId,
        decoded: result,
        traceparent: request.headers.get('traceparent') ?? undefined,
      })),
    );
    const outcomes: HttpIngestResponse['outcomes'] = results.map((outcome) =>
      outcome.status === 'accepted'
        ? {
            status: 'accepted',
            id: outcome.id,
            source: outcome.source,
            eventId: outcome.eventId,
            duplicate: outcome.duplicate,
            positions: outcome.positions.map(String),
            ...(outcome.receipt ? { receipt: outcome.receipt } : {}),
          }
        : {
            status: 'rejected',
            rejection: outcome.rejection,
            ...(outcome.receipt ? { receipt: outcome.receipt } : {}),
          },
    );
    return json(200, { outcomes } satisfies HttpIngestResponse);
  };
}

/** Bearer tokens mapped to organizations (the embedded mode's demo tokens, or a configured list). */
export function bearerTokens(tokens: Readonly<Record<string, string>>): HttpAuthenticator {
  return (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
    return match ? tokens[match[1]!] : undefined;
  };
}
