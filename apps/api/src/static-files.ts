// Serves a built single-page app (the dashboard) from a folder: its files as they are, and its
// index.html at /. Its routes live in the fragment (#/…), so no other path needs the page.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * A handler for GET and HEAD requests under `root`. Answers false (and writes nothing) for other
 * methods and for paths that name no file, so the caller can answer them.
 * Vite's hashed files under `assets/` are cached for a year; index.html is always revalidated.
 */
export function staticFiles(
  root: string,
): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  const base = resolve(root);
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      return false;
    }
    const candidate = resolve(join(base, pathname));
    // Never outside the root (`..`, encoded or not).
    if (candidate !== base && !candidate.startsWith(base + sep)) return false;
    // The dashboard routes in the URL's fragment (#/batches/…): only / is its page, and any
    // other path is a file or nothing.
    const file = pathname === '/' ? join(base, 'index.html') : candidate;
    if (!(await isFile(file))) return false;
    const { size } = await stat(file);
    const immutable = file.startsWith(join(base, 'assets') + sep);
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (request.method === 'HEAD') {
      response.end();
      return true;
    }
    await new Promise<void>((done, fail) => {
      createReadStream(file).on('error', fail).pipe(response).on('finish', done);
    });
    return true;
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
