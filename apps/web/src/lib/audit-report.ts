// The audit report download: GET /audit/batches/<id>/report with the session's bearer token,
// saved through a Blob and an object URL under the name the server gives it.

export type ReportFormat = 'html' | 'json';

export interface ReportAsOf {
  /** An instant (anything `new Date` reads; sent as RFC 3339). */
  at: string;
  timeline: 'occurred' | 'recorded';
}

/** The report's URL (relative to the dashboard's origin, which is the API's). */
export function auditReportUrl(batchId: string, format: ReportFormat, asOf?: ReportAsOf): string {
  const params = new URLSearchParams({ format });
  if (asOf) {
    params.set('asOf', new Date(asOf.at).toISOString());
    params.set('timeline', asOf.timeline);
  }
  return `/audit/batches/${encodeURIComponent(batchId)}/report?${params.toString()}`;
}

/** The filename of a `content-disposition` header (RFC 6266: filename* wins over filename). */
export function filenameFromDisposition(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return sanitize(decodeURIComponent(extended[1].trim()));
    } catch {
      // fall through to the plain filename
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  return name ? sanitize(name) : undefined;
}

/** No directories in a name the server suggests. */
function sanitize(name: string): string | undefined {
  const base = name.split(/[/\\]/).pop()?.trim();
  return base && base !== '.' && base !== '..' ? base : undefined;
}

/** Why a download failed, in words for the person who asked for it. */
export class ReportDownloadError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ReportDownloadError';
    this.status = status;
  }
}

/** Fetches the report with the bearer token and hands it to the browser as a download. */
export function downloadAuditReport(
  token: string,
  batchId: string,
  format: ReportFormat,
  asOf?: ReportAsOf,
): Promise<string> {
  return downloadWithToken(token, auditReportUrl(batchId, format, asOf), {
    what: 'the report',
    notFound: `There is no batch ${batchId} that your organization is party to.`,
    fallbackName: `audit-${batchId.replaceAll(':', '_')}.${format}`,
  });
}

/**
 * Fetches `url` (the API's, same origin) with the bearer token and hands the body to the browser
 * as a download, under the name the server gives it. Resolves to that name.
 */
export async function downloadWithToken(
  token: string,
  url: string,
  options: { what: string; notFound: string; fallbackName: string },
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
    });
  } catch (error) {
    throw new ReportDownloadError(
      `The server could not be reached (${(error as Error).message}). Try again in a moment.`,
    );
  }
  if (!response.ok) {
    const reason =
      response.status === 401
        ? `Your sign-in is no longer accepted. Sign in again to download ${options.what}.`
        : response.status === 404
          ? options.notFound
          : `The server answered ${response.status}${await errorText(response)}.`;
    throw new ReportDownloadError(reason, response.status);
  }
  const blob = await response.blob();
  const filename =
    filenameFromDisposition(response.headers.get('content-disposition')) ?? options.fallbackName;
  const objectUrl = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = objectUrl;
  anchor.download = filename;
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // Revoked once the browser has taken the download over.
  setTimeout(() => URL.revokeObjectURL(objectUrl), 10_000);
  return filename;
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: string };
    return body.error ? `: ${body.error}` : '';
  } catch {
    return '';
  }
}
