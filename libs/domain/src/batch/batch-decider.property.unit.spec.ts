import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchEvent, DispositionDecision } from '../events/batch-events.ts';
import { platformActor, type Actor } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { isMajorOrCritical, type Severity, type SignatureMeaning } from '../shared/vocabulary.ts';
import { at, batch, batchCommand, BATCH, people, signature } from '../test-support/fixtures.ts';
import type { BatchCommand } from './batch-command.ts';
import { batchDecider } from './batch-decider.ts';
import { batchLifecycle, batchTransitions, nextBatchActs, type BatchState } from './batch-state.ts';

// Random command sequences through the batch decider; accepted events are evolved. An oracle
// rebuilt from the accepted events alone (not from the decider's state) checks the invariants.

const kinds = [
  'start',
  'hold',
  'resume',
  'abort',
  'complete',
  'review',
  'qc',
  'resolve-oos',
  'coa',
  'disposition',
  'certify',
  'ship',
  'link',
  'close-link',
  'correction',
] as const;
type Kind = (typeof kinds)[number];

type Step = {
  kind: Kind | 'next';
  /** Parameters drawn for whichever command the step becomes. */
  resultNo: number;
  outOfSpec: boolean;
  oosOutcome: 'invalidated' | 'confirmed';
  approved: boolean;
  decision: DispositionDecision;
  deviationNo: number;
  severity: Severity;
  correctedNo: number;
  /** Whether a `next` step clears what blocks release before moving on. */
  clearBlockers: boolean;
  /** Sometimes the wrong person acts, to exercise the refusals. */
  impostor: 'none' | 'other-org' | 'wrong-role' | 'wrong-meaning';
};

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.oneof(
    { weight: 6, arbitrary: fc.constant('next' as const) },
    { weight: 5, arbitrary: fc.constantFrom(...kinds) },
    // Deviations arrive at any time; extra weight so that some block a release attempt.
    { weight: 1, arbitrary: fc.constant('link' as const) },
  ),
  resultNo: fc.integer({ min: 0, max: 3 }),
  outOfSpec: fc.boolean(),
  oosOutcome: fc.constantFrom('invalidated' as const, 'confirmed' as const),
  approved: fc.boolean(),
  decision: fc.constantFrom<DispositionDecision>(
    'released',
    'released',
    'conditionally-released',
    'quarantined',
    'rejected',
  ),
  deviationNo: fc.integer({ min: 0, max: 2 }),
  severity: fc.constantFrom<Severity>('minor', 'major', 'critical'),
  correctedNo: fc.integer({ min: 0, max: 40 }),
  clearBlockers: fc.boolean(),
  impostor: fc.oneof(
    { weight: 12, arbitrary: fc.constant('none' as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'other-org' as const,
        'wrong-role' as const,
        'wrong-meaning' as const,
      ),
    },
  ),
});

/** The natural next step from a status, so that runs reach the end of the lifecycle. */
const nextKind: Record<BatchState['status'], Kind> = {
  empty: 'start',
  scheduled: 'start',
  'in-manufacture': 'complete',
  held: 'resume',
  aborted: 'correction',
  'manufacturing-complete': 'review',
  'record-reviewed': 'qc',
  'qc-testing': 'coa',
  'coa-issued': 'disposition',
  dispositioned: 'certify',
  'qp-certified': 'ship',
  shipped: 'correction',
};

/** The step that moves the batch on: clears what blocks release first, then follows the lifecycle. */
function next(step: Step, state: BatchState): { kind: Kind; step: Step } {
  if (state.status === 'empty') return { kind: 'start', step };
  if (!step.clearBlockers) return { kind: nextKind[state.status], step };
  const openOos = Object.entries(state.oosInvestigations).find(([, status]) => status === 'open');
  if (
    openOos !== undefined &&
    (state.status === 'qc-testing' || state.status === 'dispositioned')
  ) {
    return {
      kind: 'resolve-oos',
      step: { ...step, resultNo: Number(openOos[0].slice('oos-r'.length)) },
    };
  }
  const blocking = Object.entries(state.openDeviations).find(([, severity]) =>
    isMajorOrCritical(severity),
  );
  if (
    blocking !== undefined &&
    ['coa-issued', 'dispositioned', 'qc-testing'].includes(state.status)
  ) {
    return { kind: 'close-link', step: { ...step, deviationNo: Number(blocking[0].slice(1)) } };
  }
  if (state.status === 'dispositioned' && state.coaId === undefined) return { kind: 'coa', step };
  if (state.status === 'dispositioned' && state.decision !== 'released')
    return { kind: 'disposition', step };
  return { kind: nextKind[state.status], step };
}

function commandFor(drawn: Step, state: BatchState, index: number): BatchCommand {
  const { kind, step } =
    drawn.kind === 'next' ? next(drawn, state) : { kind: drawn.kind, step: drawn };
  const time = at(index * 10);
  const options = { at: time, eventId: `e${index}` };
  const signed = (actor: Actor, meaning: SignatureMeaning) => {
    const signer =
      step.impostor === 'wrong-role' ? { ...actor, roles: ['auditor' as const] } : actor;
    const by = step.impostor === 'other-org' ? people.otherCdmoProduction : signer;
    return {
      actor: by,
      signature: signature(by, step.impostor === 'wrong-meaning' ? 'authorship' : meaning, time),
    };
  };
  const plain = (actor: Actor) =>
    step.impostor === 'other-org' ? people.otherCdmoProduction : actor;
  switch (kind) {
    case 'start':
      return batchCommand(
        'concord.batch.manufacturing-started.v1',
        { batchId: BATCH, startedAt: time },
        plain(people.cdmoProduction),
        options,
      );
    case 'hold':
      return batchCommand(
        'concord.batch.manufacturing-held.v1',
        { batchId: BATCH, heldAt: time, reason: 'r' },
        plain(people.cdmoProduction),
        options,
      );
    case 'resume':
      return batchCommand(
        'concord.batch.manufacturing-resumed.v1',
        { batchId: BATCH, resumedAt: time, reason: 'r' },
        plain(people.cdmoProduction),
        options,
      );
    case 'abort':
      return batchCommand(
        'concord.batch.manufacturing-aborted.v1',
        { batchId: BATCH, abortedAt: time, reason: 'r' },
        plain(people.cdmoProduction),
        options,
      );
    case 'complete':
      return batchCommand(
        'concord.batch.manufacturing-completed.v1',
        { batchId: BATCH, completedAt: time, actualQuantity: { value: 190, unit: 'L' } },
        plain(people.cdmoProduction),
        options,
      );
    case 'review': {
      const { actor, signature: sig } = signed(people.cdmoQa, 'review');
      return batchCommand(
        'concord.batch.record-reviewed.v1',
        { batchId: BATCH, outcome: step.approved ? 'approved' : 'returned', signature: sig },
        actor,
        options,
      );
    }
    case 'qc':
      return batchCommand(
        'concord.batch.qc-result-recorded.v1',
        {
          batchId: BATCH,
          resultId: `r${step.resultNo}`,
          test: 'Assay',
          specification: { lower: 95, upper: 105, unit: '%' },
          value: step.outOfSpec ? 91 : 100,
          unit: '%',
          testedAt: time,
        },
        plain(people.cdmoQc),
        options,
      );
    case 'resolve-oos': {
      const { actor, signature: sig } = signed(people.cdmoQa, 'approval');
      return batchCommand(
        'concord.batch.oos-resolved.v1',
        {
          batchId: BATCH,
          investigationId: `oos-r${step.resultNo}`,
          outcome: step.oosOutcome,
          rootCause: 'x',
          signature: sig,
        },
        actor,
        options,
      );
    }
    case 'coa': {
      const { actor, signature: sig } = signed(people.cdmoQa, 'approval');
      return batchCommand(
        'concord.batch.coa-issued.v1',
        { batchId: BATCH, coaId: `coa-${index}`, issuedAt: time, signature: sig },
        actor,
        options,
      );
    }
    case 'disposition': {
      const { actor, signature: sig } = signed(people.sponsorQa, 'approval');
      return batchCommand(
        'concord.batch.disposition-recorded.v1',
        { batchId: BATCH, decision: step.decision, conditions: 'Stability data', signature: sig },
        actor,
        options,
      );
    }
    case 'certify': {
      const { actor, signature: sig } = signed(people.sponsorQp, 'responsibility');
      return batchCommand(
        'concord.batch.qp-certified.v1',
        { batchId: BATCH, registerEntryId: `reg-${index}`, certifiedAt: time, signature: sig },
        actor,
        options,
      );
    }
    case 'ship':
      return batchCommand(
        'concord.batch.shipped.v1',
        {
          batchId: BATCH,
          shipmentId: `s-${index}`,
          shippedAt: time,
          destination: 'DC',
          quantity: { value: 190, unit: 'L' },
        },
        plain(people.cdmoProduction),
        options,
      );
    case 'link':
      return batchCommand(
        'concord.batch.deviation-linked.v1',
        { batchId: BATCH, deviationId: `d${step.deviationNo}`, severity: step.severity },
        platformActor,
        options,
      );
    case 'close-link':
      return batchCommand(
        'concord.batch.deviation-link-closed.v1',
        { batchId: BATCH, deviationId: `d${step.deviationNo}` },
        platformActor,
        options,
      );
    case 'correction':
      return batchCommand(
        'concord.correction.recorded.v1',
        {
          correctedEventId: step.correctedNo === 0 ? 'e-scheduled' : `e${step.correctedNo}`,
          changes: [{ path: '/reason', oldValue: 'r', newValue: 'reason' }],
          reason: 'Typo',
        },
        plain(people.cdmoProduction),
        options,
      );
  }
}

/** What the accepted events say, independently of the decider's state. */
type Oracle = {
  openDeviations: Map<string, Severity>;
  oos: Map<string, 'open' | 'invalidated' | 'confirmed'>;
  decision: DispositionDecision | undefined;
  coa: boolean;
  certified: boolean;
  shipped: boolean;
};

function observe(oracle: Oracle, event: BatchEvent): void {
  switch (event.type) {
    case 'concord.batch.deviation-linked.v1':
      oracle.openDeviations.set(event.data.deviationId, event.data.severity);
      break;
    case 'concord.batch.deviation-link-closed.v1':
      oracle.openDeviations.delete(event.data.deviationId);
      break;
    case 'concord.batch.oos-investigation-opened.v1':
      oracle.oos.set(event.data.investigationId, 'open');
      break;
    case 'concord.batch.oos-resolved.v1':
      oracle.oos.set(event.data.investigationId, event.data.outcome);
      break;
    case 'concord.batch.disposition-recorded.v1':
      oracle.decision = event.data.decision;
      break;
    case 'concord.batch.coa-issued.v1':
      oracle.coa = true;
      break;
    case 'concord.batch.qp-certified.v1':
      oracle.certified = true;
      break;
    case 'concord.batch.shipped.v1':
      oracle.shipped = true;
      break;
    default:
      break;
  }
}

const blockingDeviation = (oracle: Oracle) =>
  [...oracle.openDeviations.values()].some(isMajorOrCritical);
const unresolvedOos = (oracle: Oracle) =>
  [...oracle.oos.values()].some((status) => status !== 'invalidated');

function outcome(
  command: BatchCommand,
  state: BatchState,
): { events: BatchEvent[] } | { code: string; next?: unknown } {
  try {
    return { events: batchDecider.decide(command, state) };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return error.code === 'batch.out-of-order'
      ? { code: error.code, next: error.details.next }
      : { code: error.code };
  }
}

type Coverage = { reached: Set<string>; refusals: Set<string> };

function invariantsHold(coverage: Coverage) {
  const { reached, refusals } = coverage;
  return fc.property(
    fc.array(stepArbitrary, { minLength: 1, maxLength: 60, size: 'max' }),
    (steps) => {
      let state = batchDecider.evolve(batchDecider.initialState(), batch.scheduled);
      const oracle: Oracle = {
        openDeviations: new Map(),
        oos: new Map(),
        decision: undefined,
        coa: false,
        certified: false,
        shipped: false,
      };
      steps.forEach((step, index) => {
        const command = commandFor(step, state, index + 1);
        const before = structuredClone(state);
        const result = outcome(command, state);
        // decide is deterministic and leaves the state alone.
        expect(outcome(command, state)).toEqual(result);
        expect(state).toEqual(before);
        // What a refusal names as next is what the lifecycle takes: never the refused act, and
        // an act accepted is one it named.
        const named = nextBatchActs(state);
        if ('code' in result) {
          refusals.add(result.code);
          if (result.code === 'batch.out-of-order') {
            expect(result.next).toEqual(named);
            expect(named).not.toContain(command.type);
          }
          return;
        }
        if (command.type in batchLifecycle) expect(named).toContain(command.type);
        for (const event of result.events) {
          if (
            event.type === 'concord.batch.disposition-recorded.v1' &&
            (event.data.decision === 'released' || event.data.decision === 'conditionally-released')
          ) {
            expect(
              blockingDeviation(oracle),
              'released with an open major/critical deviation',
            ).toBe(false);
            expect(unresolvedOos(oracle), 'released with an unresolved or confirmed OOS').toBe(
              false,
            );
          }
          if (event.type === 'concord.batch.qp-certified.v1') {
            expect(oracle.decision, 'certified without release').toBe('released');
            expect(oracle.coa, 'certified without CoA').toBe(true);
            expect(
              blockingDeviation(oracle),
              'certified with an open major/critical deviation',
            ).toBe(false);
            expect(unresolvedOos(oracle), 'certified with an unresolved OOS').toBe(false);
          }
          if (event.type === 'concord.batch.shipped.v1') {
            expect(oracle.certified, 'shipped without certification').toBe(true);
            expect(oracle.shipped, 'shipped twice').toBe(false);
          }
          observe(oracle, event);
        }
        const next = result.events.reduce(batchDecider.evolve, state);
        if (next.status !== state.status) {
          expect(batchTransitions[state.status], `${state.status} → ${next.status}`).toContain(
            next.status,
          );
        }
        if (command.type === 'concord.correction.recorded.v1')
          expect(next.status).toBe(state.status);
        reached.add(next.status);
        state = next;
      });
    },
  );
}

describe('batch decider under random command sequences', () => {
  it('never breaks the lifecycle and release invariants', () => {
    fc.assert(invariantsHold({ reached: new Set(), refusals: new Set() }), { numRuns: 500 });
  });

  it('explores the whole lifecycle and the refusals (fixed seed, so coverage is reproducible)', () => {
    const coverage: Coverage = { reached: new Set(), refusals: new Set() };
    fc.assert(invariantsHold(coverage), { numRuns: 500, seed: 20261125 });
    const { reached, refusals } = coverage;
    // The generator must explore the whole lifecycle and the refusals, or the property is hollow.
    const statuses = Object.keys(batchTransitions).filter((status) => status !== 'empty');
    expect(statuses.filter((status) => !reached.has(status))).toEqual([]);
    const expectedRefusals = [
      'batch.out-of-order',
      'batch.release-blocked.open-deviation',
      'batch.release-blocked.open-oos',
      'qp.requires-release',
      'subject.unknown',
      'signature.wrong-role',
      'signature.wrong-meaning',
      'correction.unknown-event',
    ];
    expect(expectedRefusals.filter((code) => !refusals.has(code))).toEqual([]);
  });
});
