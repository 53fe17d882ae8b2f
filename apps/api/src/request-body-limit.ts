import { createGraphQLError, type Plugin } from 'graphql-yoga';

const tooLarge = () =>
  createGraphQLError('Request body too large', {
    extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } },
  });

/**
 * Refuses a GraphQL request body larger than `maxBytes`: by its declared length before any of it
 * is read, or, sent without one (chunked), as soon as what has been read passes the limit.
 *
 * A declared body is not counted again as it is read: Node's HTTP parser hands the server exactly
 * the bytes a Content-Length declares, and refuses a request that declares both a length and
 * chunks. Yoga's own limit (`maxRequestBodySize`, switched off where this plugin is used) streams
 * every body through a counter, declared or not: about 6 % of the API's CPU per list request.
 */
export function requestBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared))
          throw createGraphQLError('Content-Length header is invalid.', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        if (Number(declared) > maxBytes) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((unlimited) => parse(limitedTo(unlimited, maxBytes, fetchAPI)));
    },
  };
}

type FetchAPI = Parameters<NonNullable<Plugin['onRequestParse']>>[0]['fetchAPI'];

/**
 * `request` with a body that fails with `tooLarge` once more than `maxBytes` have been read. The
 * counter is of the body's own stream implementation (Node's, or the server adapter's ponyfill):
 * one implementation's stream does not pipe through the other's.
 */
function limitedTo(request: Request, maxBytes: number, fetchAPI: FetchAPI): Request {
  const Transform =
    request.body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const counted = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: counted,
    duplex: 'half',
  } as RequestInit);
}
