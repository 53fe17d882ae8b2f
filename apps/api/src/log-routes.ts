// The platform's signed tree heads over HTTP, for partners' tools (the same data as GraphQL's
// `latestLogCheckpoint`), with the caller's usual Authorization header:
//   GET /log/checkpoints/latest → the latest SignedCheckpoint the platform stored (404 before the first)
// Any authenticated caller may read it: it reveals only the log's size and an opaque root hash.
import type { Authenticator } from '@concord/auth';
import type { CheckpointLog } from '@concord/evidence';
import { callerOrganization, jsonError } from './http-support.ts';

export const LOG_PREFIX = '/log/';

export interface LogRoutesOptions {
  authenticator: Authenticator;
  /** The checkpoints the platform signed and stored. @default none: 503 */
  checkpoints?: CheckpointLog;
}

export function logRoutes(options: LogRoutesOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== '/log/checkpoints/latest') return jsonError(404, 'No such log resource.');
    if (request.method !== 'GET') return jsonError(405, 'GET the checkpoint.');
    const caller = await callerOrganization(request, options.authenticator);
    if ('refusal' in caller) return caller.refusal;
    if (!options.checkpoints) return jsonError(503, 'This server keeps no checkpoint log.');
    const latest = await options.checkpoints.latest();
    if (!latest) return jsonError(404, 'The platform has signed no checkpoint of its log yet.');
    return new Response(JSON.stringify(latest), {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  };
}
