import type { AuditOptions } from '@concord/audit';
import type { Authenticator, Caller } from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import type { CheckpointLog, PlatformKey } from '@concord/evidence';
import type { OutcomeLog } from '@concord/ingest';
import type { ReadScope, ScopedReadModel } from '@concord/read-model';
import type { Projector } from '@concord/read-model';
import type { Administration } from './administration.ts';
import type { QuarantineService } from './schema/operator-desk.ts';
import type { ChangeFeed } from './change-feed.ts';
import type { HumanActs } from './human-acts.ts';

/** What every resolver gets: who is calling, the read model as they may see it, and the services. */
export interface ApiContext {
  /** Undefined for an anonymous request (which the schema refuses). */
  caller: Caller | undefined;
  /**
   * The read model through PostgreSQL row-level security for the caller's organization (an
   * anonymous caller's scope is empty): even a resolver that forgets its filter sees only rows
   * the organization is party to.
   */
  db: ScopedReadModel;
  /**
   * The request's unit of work behind `db`: one transaction for all its reads (ended when the
   * operation, or a subscription's event, has been answered), and the caches that live as long
   * as that transaction (the dataloaders of loaders.ts).
   */
  scope: ReadScope;
  /**
   * A unit of work of its own over the read model, in the same organization's scope: for reads
   * shared beyond this request (a published chunk's rows, read once for all its subscribers).
   */
  newScope(): ReadScope;
  changes: ChangeFeed;
  acts: HumanActs;
  /** Organizations, their administrators, people, partner systems and API keys. */
  administration: Administration;
  authenticator: Authenticator;
  /**
   * The record itself, for the auditor's views (history, as-of, verification). Unscoped: only
   * reached through a Batch or Deviation the caller could already see.
   */
  store: EventStore;
  /** What the audit views check the record against (the platform's keyring, when known). */
  audit: AuditOptions;
  /** Signs checkpoints of the log; absent where this server holds no platform key. */
  platformKey?: PlatformKey;
  /** The checkpoints the platform signed and stored; absent where this server has none. */
  checkpoints?: CheckpointLog;
  /** Every answer ingest gave, with its signed receipt; absent where this server has none. */
  outcomes?: OutcomeLog;
  /** The projector whose dead letters operators handle; absent where this server has none. */
  deadLetters?: Projector;
  /** Ingest's quarantine, for operators; absent where this server reaches no broker. */
  quarantine?: QuarantineService;
  clock: () => Date;
}

/** The caller's organization; only called where the schema already required a member. */
export function organizationOf(context: ApiContext): string {
  if (!context.caller) throw new Error('no caller: the schema must require a member here');
  return context.caller.organizationId;
}

/**
 * The first barrier: the rows of the partnerships the caller's organization is party to, as a
 * Prisma filter every root resolver applies itself (row-level security is the second).
 */
export function partyOf(context: ApiContext) {
  const organizationId = organizationOf(context);
  return { OR: [{ sponsorId: organizationId }, { cdmoId: organizationId }] };
}

/**
 * `partyOf` as its two sides, which never share a row: where the caller is the sponsor, and where
 * it is the CDMO of another sponsor's row. Each side is one index's range (`sponsor_id = …` or
 * `cdmo_id = …`), which a list walks in order and a count reads without the table; PostgreSQL
 * cannot do either for the two together, so over a long history it would read every row of the
 * caller's for each page and each count.
 */
export function partySidesOf(context: ApiContext) {
  const organizationId = organizationOf(context);
  return [
    { sponsorId: organizationId },
    { cdmoId: organizationId, sponsorId: { not: organizationId } },
  ] as const;
}
