import type { AgreementVersion } from '../events/agreement-events.ts';
import type { DeviationEvent } from '../events/deviation-events.ts';
import type { CatalogueEvent } from '../events/event.ts';
import { eventMetadata, PLATFORM_ORGANIZATION_ID, platformActor } from '../shared/command.ts';
import type { CommandMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { toInstant, toMillis } from '../shared/time.ts';
import type { Id, Instant, Severity } from '../shared/vocabulary.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
import type { DeviationStatus, ReportedDeviation } from './deviation-state.ts';

export type DeviationDueDatesSet = CatalogueEvent<'concord.deviation.due-dates-set.v1'>;
export type DeadlineDueSoon = CatalogueEvent<'concord.deviation.deadline-due-soon.v1'>;
export type DeadlineOverdue = CatalogueEvent<'concord.deviation.deadline-overdue.v1'>;
export type DeadlineWarning = DeadlineDueSoon | DeadlineOverdue;

export type DeadlineKind = DeadlineDueSoon['data']['deadline'];
export const deadlineKinds: readonly DeadlineKind[] = ['investigation', 'capa', 'closure'];

/** The due dates the deviation's stream holds (its last `due-dates-set`): the process's timers. */
export type DueDates = DeviationDueDatesSet['data'];

const DAY_MS = 24 * 60 * 60 * 1000;
/** "Due soon" starts a quarter of the period before the due date, at most two days before. */
const MAX_DUE_SOON_LEAD_MS = 2 * DAY_MS;

/** Which lifecycle statuses meet each due date (a minor deviation may close without a CAPA). */
const metBy: Readonly<Record<DeadlineKind, readonly DeviationStatus[]>> = {
  investigation: [
    'root-cause-identified',
    'impact-assessed',
    'capa-proposed',
    'capa-approved',
    'closure-approved',
    'closed',
  ],
  capa: ['capa-approved', 'closure-approved', 'closed'],
  closure: ['closed'],
};

export function deadlineMet(kind: DeadlineKind, status: DeviationStatus): boolean {
  return metBy[kind].includes(status);
}

/**
 * The due dates a deviation of `severity`, detected at `detectedAt`, gets under `agreement`:
 * counted from detection, in the agreement's days for the severity; none when the version sets
 * no due days.
 */
export function dueDatesUnder(
  agreement: AgreementVersion | undefined,
  deviationId: Id,
  severity: Severity,
  detectedAt: Instant,
): DueDates | undefined {
  const days = agreement?.deviationDueDays?.[severity];
  if (agreement === undefined || days === undefined) return undefined;
  const detected = toMillis(detectedAt, 'detectedAt');
  const dueDate = (periodDays: number) => {
    const period = periodDays * DAY_MS;
    return {
      dueAt: toInstant(detected + period),
      dueSoonAt: toInstant(detected + period - Math.min(period / 4, MAX_DUE_SOON_LEAD_MS)),
    };
  };
  return {
    deviationId,
    severity,
    agreementId: agreement.agreementId,
    agreementVersion: agreement.version,
    investigation: dueDate(days.investigation),
    capa: dueDate(days.capa),
    closure: dueDate(days.closure),
  };
}

/** The `due-dates-set` event derived from a partner's report or reclassification. */
export function dueDatesSetEvent(dueDates: DueDates, metadata: CommandMetadata): DeviationEvent {
  return {
    type: 'concord.deviation.due-dates-set.v1',
    data: dueDates,
    metadata: eventMetadata(metadata, { idSuffix: 'due-dates' }),
  };
}

/** The key under which the state remembers a warning, so each is given once. */
export function warningKey(warning: Pick<DeadlineWarning, 'type' | 'data'>): string {
  return `${warning.type}|${warning.data.deadline}|${warning.data.dueAt}`;
}

/**
 * The warnings due at `now`, the one rule the deadline process and the decider share: for each
 * due date not met, "due soon" from its due-soon instant and "overdue" once it has passed
 * (a critical deviation's escalated to the sponsor), each once. A due date that passed unwarned
 * gets only "overdue".
 */
export function deadlineWarningsDue(
  state: ReportedDeviation,
  now: Instant,
  sponsorId: Id | undefined,
): Pick<DeadlineWarning, 'type' | 'data'>[] {
  const { dueDates } = state;
  if (dueDates === undefined) return [];
  const at = toMillis(now, 'now');
  const warned = new Set(state.warned ?? []);
  const warnings: Pick<DeadlineWarning, 'type' | 'data'>[] = [];
  for (const kind of deadlineKinds) {
    if (deadlineMet(kind, state.status)) continue;
    const { dueAt, dueSoonAt } = dueDates[kind];
    const common = {
      deviationId: state.deviationId,
      deadline: kind,
      severity: state.severity,
      dueAt,
    };
    const overdue: Pick<DeadlineOverdue, 'type' | 'data'> = {
      type: 'concord.deviation.deadline-overdue.v1',
      data:
        state.severity === 'critical' && sponsorId !== undefined
          ? { ...common, escalatedTo: sponsorId }
          : common,
    };
    if (at > toMillis(dueAt, 'dueAt')) {
      if (!warned.has(warningKey(overdue))) warnings.push(overdue);
      continue;
    }
    const dueSoon: Pick<DeadlineDueSoon, 'type' | 'data'> = {
      type: 'concord.deviation.deadline-due-soon.v1',
      data: common,
    };
    if (at >= toMillis(dueSoonAt, 'dueSoonAt') && !warned.has(warningKey(dueSoon)))
      warnings.push(dueSoon);
  }
  return warnings;
}

/**
 * The earliest instant at which a warning not yet given falls due: when the deadline process
 * should look at the deviation next (none once every due date is met or overdue-warned).
 */
export function nextDeadlineCheck(state: ReportedDeviation): Instant | undefined {
  const { dueDates } = state;
  if (dueDates === undefined) return undefined;
  const warned = new Set(state.warned ?? []);
  const pending = deadlineKinds.flatMap((kind) => {
    if (deadlineMet(kind, state.status)) return [];
    const { dueAt, dueSoonAt } = dueDates[kind];
    const given = (type: DeadlineWarning['type']) =>
      warned.has(
        warningKey({
          type,
          data: { deviationId: state.deviationId, deadline: kind, severity: state.severity, dueAt },
        }),
      );
    if (given('concord.deviation.deadline-overdue.v1')) return [];
    return [given('concord.deviation.deadline-due-soon.v1') ? dueAt : dueSoonAt];
  });
  if (pending.length === 0) return undefined;
  return toInstant(Math.min(...pending.map((instant) => toMillis(instant, 'due'))));
}

/** Where a deviation stands against its due dates, by its worst unmet one. */
export type DeadlineStatus = 'none' | 'on-track' | 'due-soon' | 'overdue' | 'met';

export function deadlineStatus(state: ReportedDeviation): DeadlineStatus {
  const { dueDates } = state;
  if (dueDates === undefined) return 'none';
  const unmet = deadlineKinds.filter((kind) => !deadlineMet(kind, state.status));
  if (unmet.length === 0) return 'met';
  const warned = (state.warned ?? []).map((key) => key.split('|'));
  const warnedOf = (type: DeadlineWarning['type']) =>
    warned.some(
      ([warning, kind, dueAt]) =>
        warning === type && unmet.some((k) => k === kind && dueDates[k].dueAt === dueAt),
    );
  if (warnedOf('concord.deviation.deadline-overdue.v1')) return 'overdue';
  if (warnedOf('concord.deviation.deadline-due-soon.v1')) return 'due-soon';
  return 'on-track';
}

/**
 * A warning command the deadline process gives, under an id it derives from the warning (so a
 * second process, or a retry, names the same event and the store keeps one).
 */
export function deadlineWarningCommand(
  warning: Pick<DeadlineWarning, 'type' | 'data'>,
  now: Instant,
  eventId: Id,
): DeviationCommandOf<DeadlineWarning['type']> {
  return {
    ...warning,
    metadata: { eventId, actor: platformActor, occurredAt: now, recordedAt: now },
    context: {},
  } as DeviationCommandOf<DeadlineWarning['type']>;
}

function sameWarning(a: DeadlineOverdue['data'], b: DeadlineOverdue['data']): boolean {
  return (
    a.deviationId === b.deviationId &&
    a.deadline === b.deadline &&
    a.severity === b.severity &&
    a.dueAt === b.dueAt &&
    a.escalatedTo === b.escalatedTo
  );
}

/**
 * Records a warning only the platform gives, only when the rule above says it is due (at the
 * command's time) and exactly as the rule states it: a warning is a fact the platform derives,
 * never a claim anybody makes.
 */
export function warnOfDeadline(
  command: DeviationCommandOf<DeadlineWarning['type']>,
  state: ReportedDeviation,
): DeviationEvent[] {
  if (command.metadata.actor.organizationId !== PLATFORM_ORGANIZATION_ID)
    throw new DomainError('authorization.platform-only', `Only the platform warns of due dates.`, {
      eventType: command.type,
      actorOrg: command.metadata.actor.organizationId,
    });
  const { deadline, dueAt } = command.data;
  if (deadlineMet(deadline, state.status))
    throw new DomainError('deviation.deadline-met', `The ${deadline} due date was met.`, {
      deadline,
    });
  if ((state.warned ?? []).includes(warningKey(command)))
    throw new DomainError(
      'deviation.deadline-already-warned',
      `The parties were warned that the ${deadline} due date ${dueAt} is ${command.type.includes('overdue') ? 'overdue' : 'due soon'}.`,
      { deadline, dueAt },
    );
  const sponsorId =
    command.context.agreement?.sponsorId ?? command.context.agreementAtReceipt?.sponsorId;
  const due = deadlineWarningsDue(state, command.metadata.occurredAt, sponsorId).find(
    (warning) => warningKey(warning) === warningKey(command),
  );
  if (due === undefined || !sameWarning(due.data, command.data))
    throw new DomainError(
      'deviation.deadline-not-due',
      `No ${command.type} is due for the ${deadline} due date ${dueAt} at ${command.metadata.occurredAt}.`,
      { deadline, dueAt, at: command.metadata.occurredAt },
    );
  return [{ type: command.type, data: command.data, metadata: eventMetadata(command.metadata) }];
}
