import type { Id } from './vocabulary.ts';

/** The kinds of aggregate the platform keeps, each in streams named `<kind>-<id>`. */
export type StreamKind = 'organization' | 'agreement' | 'batch' | 'deviation';

/** Stream names of the platform's aggregates: one convention for every writer and reader. */
export const streams = {
  organization: (id: Id) => `organization-${id}` as const,
  agreement: (id: Id) => `agreement-${id}` as const,
  batch: (id: Id) => `batch-${id}` as const,
  deviation: (id: Id) => `deviation-${id}` as const,
};

const KINDS: ReadonlySet<string> = new Set<StreamKind>([
  'organization',
  'agreement',
  'batch',
  'deviation',
]);

/** What a stream name stands for (undefined for a name that follows no convention). */
export function streamOf(streamId: string): { kind: StreamKind; id: Id } | undefined {
  const dash = streamId.indexOf('-');
  const kind = streamId.slice(0, dash);
  if (dash <= 0 || !KINDS.has(kind)) return undefined;
  return { kind: kind as StreamKind, id: streamId.slice(dash + 1) };
}
