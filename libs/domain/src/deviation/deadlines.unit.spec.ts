import { describe, expect, it } from 'vitest';
import type { AgreementVersion } from '../events/agreement-events.ts';
import type { DeviationEvent } from '../events/deviation-events.ts';
import { DomainError } from '../shared/domain-error.ts';
import {
  agreementV1,
  at,
  deviation,
  DEVIATION,
  deviationCommand,
  people,
  SPONSOR,
} from '../test-support/fixtures.ts';
import {
  deadlineWarningCommand,
  deadlineWarningsDue,
  deadlineStatus,
  nextDeadlineCheck,
  type DeadlineWarning,
} from './deadlines.ts';
import { decideDeviation } from './deviation-decider.ts';
import {
  evolveDeviation,
  initialDeviationState,
  type DeviationState,
  type ReportedDeviation,
} from './deviation-state.ts';

const DAY = 24 * 60;
const withDueDays: AgreementVersion = {
  ...agreementV1,
  version: 2,
  deviationDueDays: {
    critical: { investigation: 2, capa: 10, closure: 20 },
    major: { investigation: 30, capa: 45, closure: 60 },
    minor: { investigation: 60, capa: 90, closure: 90 },
  },
};

function report(agreement: AgreementVersion = withDueDays) {
  return deviationCommand('concord.deviation.reported.v1', deviation.reported.data, people.cdmoQa, {
    agreement,
    linkedBatches: { [deviation.reported.data.linkedBatchIds[0]!]: subject() },
  });
}
function subject() {
  return {
    agreementId: agreementV1.agreementId,
    productId: deviation.reported.data.productId,
    sponsorId: agreementV1.sponsorId,
    cdmoId: agreementV1.cdmoId,
  };
}

/** Decides and folds, as the store would: each command's events become the next state's. */
function run(state: DeviationState, ...commands: Parameters<typeof decideDeviation>[0][]) {
  let current = state;
  const events: DeviationEvent[] = [];
  for (const command of commands) {
    const decided = decideDeviation(command, current);
    events.push(...decided);
    current = decided.reduce(evolveDeviation, current);
  }
  return { state: current as ReportedDeviation, events };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'accepted';
}

function warn(state: ReportedDeviation, now: string): DeadlineWarning['type'][] {
  return deadlineWarningsDue(state, now, SPONSOR).map((warning) => warning.type);
}

describe('deviation due dates', () => {
  it('are derived with the report from the agreement in force, counted from detection', () => {
    const { events, state } = run(initialDeviationState(), report());
    const set = events.find((event) => event.type === 'concord.deviation.due-dates-set.v1');
    expect(set?.data).toEqual({
      deviationId: DEVIATION,
      severity: 'major',
      agreementId: withDueDays.agreementId,
      agreementVersion: 2,
      investigation: { dueAt: at(30 * DAY), dueSoonAt: at(28 * DAY) },
      capa: { dueAt: at(45 * DAY), dueSoonAt: at(43 * DAY) },
      closure: { dueAt: at(60 * DAY), dueSoonAt: at(58 * DAY) },
    });
    expect(set?.metadata?.id).toBe('cmd-1:due-dates');
    expect(state.dueDates?.investigation.dueAt).toBe(at(30 * DAY));
  });

  it('are not set under a version without due days (every v1 agreement)', () => {
    const { events } = run(initialDeviationState(), report(agreementV1));
    expect(events.map((event) => event.type)).toEqual(['concord.deviation.reported.v1']);
  });

  it('move with a reclassification that changes the severity, and only then', () => {
    const reported = run(initialDeviationState(), report()).state;
    const classify = (severity: 'major' | 'critical') =>
      deviationCommand(
        'concord.deviation.classified.v1',
        { deviationId: DEVIATION, severity, category: 'equipment', rationale: 'Reviewed' },
        people.cdmoQa,
        { agreement: withDueDays, eventId: `classify-${severity}` },
      );
    expect(run(reported, classify('major')).events).toHaveLength(1);
    const { events, state } = run(reported, classify('critical'));
    expect(events.map((event) => event.type)).toEqual([
      'concord.deviation.classified.v1',
      'concord.deviation.due-dates-set.v1',
    ]);
    // A quarter of a two-day period is twelve hours: due soon from then.
    expect(state.dueDates?.investigation).toEqual({ dueAt: at(2 * DAY), dueSoonAt: at(36 * 60) });
  });
});

describe('deadline warnings', () => {
  const reported = run(initialDeviationState(), report()).state;

  it('come due soon, then overdue, each once, and stop when the due date is met', () => {
    expect(warn(reported, at(28 * DAY - 1))).toEqual([]);
    expect(warn(reported, at(28 * DAY))).toEqual(['concord.deviation.deadline-due-soon.v1']);
    const soon = run(
      reported,
      deadlineWarningCommand(
        deadlineWarningsDue(reported, at(28 * DAY), SPONSOR)[0]!,
        at(28 * DAY),
        'w-1',
      ),
    ).state;
    expect(warn(soon, at(29 * DAY))).toEqual([]);
    const overdue = deadlineWarningsDue(soon, at(30 * DAY + 1), SPONSOR);
    expect(overdue.map((w) => [w.type, w.data.deadline])).toEqual([
      ['concord.deviation.deadline-overdue.v1', 'investigation'],
    ]);
    // Not critical: nobody is escalated to.
    expect(overdue[0]?.data).not.toHaveProperty('escalatedTo');
    const met = evolveDeviation(
      evolveDeviation(evolveDeviation(soon, deviation.classified), deviation.investigating),
      deviation.rootCause,
    ) as ReportedDeviation;
    expect(warn(met, at(30 * DAY + 1))).toEqual([]);
    expect(nextDeadlineCheck(met)).toBe(at(43 * DAY));
    expect(deadlineStatus(met)).toBe('on-track');
    expect(nextDeadlineCheck(reported)).toBe(at(28 * DAY));
    expect(nextDeadlineCheck(soon)).toBe(at(30 * DAY));
    expect(deadlineStatus(soon)).toBe('due-soon');
  });

  it('gives a due date that passed unwarned only its overdue warning', () => {
    expect(warn(reported, at(61 * DAY))).toEqual([
      'concord.deviation.deadline-overdue.v1',
      'concord.deviation.deadline-overdue.v1',
      'concord.deviation.deadline-overdue.v1',
    ]);
  });

  it("escalates a critical deviation's missed due date to the sponsor", () => {
    const critical = { ...reported, severity: 'critical' as const };
    const [overdue] = deadlineWarningsDue(critical, at(31 * DAY), SPONSOR);
    expect(overdue?.data).toMatchObject({ deadline: 'investigation', escalatedTo: SPONSOR });
  });

  it('are recorded only as the rule states them, by the platform, once', () => {
    const [due] = deadlineWarningsDue(reported, at(28 * DAY), SPONSOR);
    const command = deadlineWarningCommand(due!, at(28 * DAY), 'w-2');
    const withParties = { ...command, context: { agreement: withDueDays } };
    const once = run(reported, withParties).state;
    expect(refusal(() => decideDeviation(withParties, once))).toBe(
      'deviation.deadline-already-warned',
    );
    const early = deadlineWarningCommand(due!, at(27 * DAY), 'w-3');
    expect(refusal(() => decideDeviation(early, reported))).toBe('deviation.deadline-not-due');
    const claimed = {
      ...command,
      data: { ...command.data, dueAt: at(40 * DAY) },
      metadata: { ...command.metadata, occurredAt: at(39 * DAY), recordedAt: at(39 * DAY) },
    };
    expect(refusal(() => decideDeviation(claimed, reported))).toBe('deviation.deadline-not-due');
    const byPartner = {
      ...command,
      metadata: { ...command.metadata, actor: people.cdmoQa },
    };
    expect(refusal(() => decideDeviation(byPartner, reported))).toBe('authorization.platform-only');
  });
});
