import type { ElectronicSignature } from '@concord/domain';
import { describe, expect, it } from 'vitest';
import { isReleaseReady, releaseBlockers, releaseBlockersOf } from './readiness.ts';
import type { BatchRow, DeviationRow, ReleaseBlocker } from './rows.ts';

const SIGNATURE: ElectronicSignature = {
  signerId: 'htx-p-0021',
  printedName: 'Dr. Lena Vogel',
  signedAt: '2026-04-25T09:00:00Z',
  meaning: 'approval',
  reason: 'Signed by Dr. Lena Vogel (qa) for helvion-tx.',
};

/** A batch in QC testing with nothing against it; each test states what it changes. */
function batch(overrides: Partial<BatchRow> = {}): BatchRow {
  return {
    id: 'northbridge-bio:b-nb-hlv201-26-0201',
    batch_number: 'NB-HLV201-26-0201',
    product_id: 'prd-hlv-201',
    product_name: 'Velarimab 150 mg/mL solution for injection (HLV-201)',
    agreement_id: 'qa-htx-nb-2026',
    sponsor_id: 'helvion-tx',
    cdmo_id: 'northbridge-bio',
    site: 'Northbridge Biologics Cork Fill-Finish, Ringaskiddy, IE',
    status: 'qc-testing',
    planned_quantity_value: 24_000,
    planned_quantity_unit: 'vials',
    actual_quantity_value: 23_870,
    actual_quantity_unit: 'vials',
    planned_start: '2026-04-10T06:00:00Z',
    scheduled_at: '2026-04-01T08:00:00Z',
    started_at: '2026-04-10T06:00:00Z',
    completed_at: '2026-04-14T18:00:00Z',
    record_reviewed_at: '2026-04-16T09:00:00Z',
    coa_id: null,
    coa_issued_at: null,
    disposition_decision: null,
    dispositioned_at: null,
    disposition_signature: null,
    register_entry_id: null,
    certified_at: null,
    certification_signature: null,
    shipment_id: null,
    shipped_at: null,
    open_deviations: {},
    oos_investigations: {},
    blockers: [],
    blocker_count: 0,
    release_ready: false,
    last_changed_at: '2026-04-20T10:00:00Z',
    stream_version: 5,
    last_position: '18',
    ...overrides,
  };
}

const coaIssued: Partial<BatchRow> = {
  status: 'coa-issued',
  coa_id: 'coa-NB-HLV201-26-0201',
  coa_issued_at: '2026-04-21T09:00:00Z',
};

/** A deviation as reported; each test moves it along. */
function deviation(id: string, overrides: Partial<DeviationRow> = {}): DeviationRow {
  return {
    id,
    title: `Environmental monitoring excursion (${id})`,
    description: 'Action limit exceeded; affected units segregated.',
    category: 'environmental-monitoring',
    severity: 'major',
    status: 'reported',
    product_id: 'prd-hlv-201',
    agreement_id: 'qa-htx-nb-2026',
    sponsor_id: 'helvion-tx',
    cdmo_id: 'northbridge-bio',
    reported_by_organization_id: 'northbridge-bio',
    detected_at: '2026-04-12T07:00:00Z',
    reported_at: '2026-04-12T08:00:00Z',
    notification_deadline: '2026-04-15T07:00:00.000Z',
    notified_late: false,
    late_by_minutes: null,
    investigation_summary: null,
    root_cause: null,
    root_cause_category: null,
    capa_id: null,
    capa_actions: null,
    capa_status: 'none',
    capa_approval_signature: null,
    closure_approved_at: null,
    closure_approval_signature: null,
    closed_at: null,
    conclusion: null,
    closing_signature: null,
    due_dates: null,
    deadline_warnings: [],
    deadline_status: 'none',
    next_deadline_check: null,
    last_changed_at: '2026-04-12T08:00:00Z',
    stream_version: 1,
    last_position: '23',
    ...overrides,
  };
}

/** Looks deviations up the way the projector does: by id, absent when never loaded. */
const lookup =
  (...deviations: DeviationRow[]) =>
  (id: string) =>
    deviations.find((candidate) => candidate.id === id);

const summary = (blockers: ReleaseBlocker[]) =>
  blockers.map((blocker) => [blocker.kind, blocker.reference, blocker.severity]);

describe('releaseBlockers', () => {
  it('lists linked deviations most serious first, then OOS, then the missing documents', () => {
    const blockers = releaseBlockers(
      batch({
        open_deviations: { 'dev-b': 'major', 'dev-c': 'critical', 'dev-a': 'major' },
        oos_investigations: { 'oos-2': 'confirmed', 'oos-1': 'open' },
      }),
      lookup(deviation('dev-a'), deviation('dev-b'), deviation('dev-c', { severity: 'critical' })),
    );
    expect(summary(blockers)).toEqual([
      ['open-deviation', 'dev-c', 'critical'],
      // Same severity: in id order, so the list is stable from one projection to the next.
      ['open-deviation', 'dev-a', 'major'],
      ['open-deviation', 'dev-b', 'major'],
      ['open-oos', 'oos-1', null],
      ['confirmed-oos', 'oos-2', null],
      ['missing-coa', null, null],
      ['missing-disposition', null, null],
      ['missing-certification', null, null],
    ]);
    expect(blockers[0]!.description).toBe(
      'Open critical deviation dev-c: Environmental monitoring excursion (dev-c)',
    );
  });

  it('does not block on an open minor deviation', () => {
    const blockers = releaseBlockers(
      batch({ ...coaIssued, open_deviations: { 'dev-minor': 'minor' } }),
      lookup(deviation('dev-minor', { severity: 'minor', status: 'under-investigation' })),
    );
    expect(summary(blockers)).toEqual([
      ['missing-disposition', null, null],
      ['missing-certification', null, null],
    ]);
  });

  it("takes the deviation's current severity over the one the batch was linked with", () => {
    // Reclassified in the deviation's stream before the process manager updated the batch.
    const escalated = releaseBlockers(
      batch({ ...coaIssued, open_deviations: { 'dev-1': 'minor' } }),
      lookup(deviation('dev-1', { severity: 'major', status: 'classified' })),
    );
    expect(summary(escalated)[0]).toEqual(['open-deviation', 'dev-1', 'major']);

    const downgraded = releaseBlockers(
      batch({ ...coaIssued, open_deviations: { 'dev-1': 'major' } }),
      lookup(deviation('dev-1', { severity: 'minor', status: 'classified' })),
    );
    expect(summary(downgraded).map(([kind]) => kind)).not.toContain('open-deviation');
  });

  it('falls back on the linked severity when the deviation is not known (yet)', () => {
    const blockers = releaseBlockers(
      batch({ open_deviations: { 'dev-x': 'critical' } }),
      () => undefined,
    );
    expect(blockers[0]).toEqual({
      kind: 'open-deviation',
      reference: 'dev-x',
      severity: 'critical',
      description: 'Open critical deviation dev-x',
    });
  });

  it('shows a proposed CAPA as waiting for the sponsor only where the deviation gates release', () => {
    const blockers = releaseBlockers(
      batch({ ...coaIssued, open_deviations: { 'dev-major': 'major', 'dev-minor': 'minor' } }),
      lookup(
        deviation('dev-major', {
          status: 'capa-proposed',
          capa_id: 'capa-26-0101',
          capa_status: 'proposed',
        }),
        deviation('dev-minor', {
          severity: 'minor',
          status: 'capa-proposed',
          capa_id: 'capa-26-0102',
          capa_status: 'proposed',
        }),
      ),
    );
    expect(summary(blockers)).toEqual([
      ['open-deviation', 'dev-major', 'major'],
      ['pending-sponsor-approval', 'dev-major', 'major'],
      // A minor deviation neither blocks release nor waits on the sponsor to let it go.
      ['missing-disposition', null, null],
      ['missing-certification', null, null],
    ]);
    expect(blockers[1]!.description).toBe(
      'CAPA capa-26-0101 of deviation dev-major awaits approval',
    );
  });

  it('shows closure as waiting for the sponsor once the CAPA is approved, and not after', () => {
    const approved = deviation('dev-1', {
      severity: 'major',
      status: 'capa-approved',
      capa_id: 'capa-26-0101',
      capa_status: 'approved',
      capa_approval_signature: SIGNATURE,
    });
    const waiting = releaseBlockers(
      batch({ ...coaIssued, open_deviations: { 'dev-1': 'major' } }),
      lookup(approved),
    );
    expect(waiting[1]).toEqual({
      kind: 'pending-sponsor-approval',
      reference: 'dev-1',
      severity: 'major',
      description: 'Closure of deviation dev-1 awaits approval',
    });

    const closureApproved = releaseBlockers(
      batch({ ...coaIssued, open_deviations: { 'dev-1': 'major' } }),
      lookup({ ...approved, status: 'closure-approved', closure_approval_signature: SIGNATURE }),
    );
    expect(summary(closureApproved).map(([kind]) => kind)).not.toContain(
      'pending-sponsor-approval',
    );
  });

  it('blocks on open and confirmed OOS investigations, not on invalidated ones', () => {
    const blockers = releaseBlockers(
      batch({
        ...coaIssued,
        oos_investigations: { 'oos-1': 'invalidated', 'oos-2': 'open', 'oos-3': 'confirmed' },
      }),
      lookup(),
    );
    expect(summary(blockers).slice(0, 2)).toEqual([
      ['open-oos', 'oos-2', null],
      ['confirmed-oos', 'oos-3', null],
    ]);
    expect(blockers.map((blocker) => blocker.reference)).not.toContain('oos-1');
  });

  it('asks for a CoA only while the batch is in QC testing', () => {
    const kinds = (overrides: Partial<BatchRow>) =>
      releaseBlockers(batch(overrides), lookup()).map((blocker) => blocker.kind);
    expect(kinds({ status: 'qc-testing' })).toContain('missing-coa');
    // Before QC testing a CoA is not due yet; once issued it is no longer missing.
    expect(kinds({ status: 'record-reviewed' })).not.toContain('missing-coa');
    expect(kinds({ status: 'in-manufacture' })).not.toContain('missing-coa');
    expect(kinds(coaIssued)).not.toContain('missing-coa');
  });

  it('drops the disposition and the certification from the list once recorded', () => {
    const kinds = releaseBlockers(
      batch({
        ...coaIssued,
        status: 'dispositioned',
        disposition_decision: 'released',
        dispositioned_at: '2026-04-25T09:00:00Z',
        disposition_signature: SIGNATURE,
      }),
      lookup(),
    ).map((blocker) => blocker.kind);
    expect(kinds).toEqual(['missing-certification']);
  });

  it.each(['aborted', 'qp-certified', 'shipped'])(
    'gives no blockers once the batch is %s, whatever is still linked',
    (status) => {
      expect(
        releaseBlockers(
          batch({
            status,
            open_deviations: { 'dev-1': 'critical' },
            oos_investigations: { 'oos-1': 'open' },
          }),
          lookup(deviation('dev-1', { severity: 'critical', capa_status: 'proposed' })),
        ),
      ).toEqual([]);
    },
  );
});

describe('isReleaseReady', () => {
  const readyFor = (overrides: Partial<BatchRow>, ...deviations: DeviationRow[]) => {
    const row = batch(overrides);
    return isReleaseReady(releaseBlockers(row, lookup(...deviations)), row.status);
  };

  it('is ready with a CoA issued when only the final acts remain', () => {
    expect(readyFor(coaIssued)).toBe(true);
    expect(
      readyFor({
        ...coaIssued,
        status: 'dispositioned',
        disposition_decision: 'released',
        disposition_signature: SIGNATURE,
      }),
    ).toBe(true);
  });

  it('is ready despite an open minor deviation', () => {
    expect(
      readyFor(
        { ...coaIssued, open_deviations: { 'dev-1': 'minor' } },
        deviation('dev-1', { severity: 'minor', status: 'under-investigation' }),
      ),
    ).toBe(true);
  });

  it.each<[string, Partial<BatchRow>, DeviationRow[]]>([
    ['an open major deviation', { open_deviations: { 'dev-1': 'major' } }, [deviation('dev-1')]],
    [
      'a conditional release (the QP certifies released batches only)',
      {
        status: 'dispositioned',
        disposition_decision: 'conditionally-released',
        disposition_signature: SIGNATURE,
      },
      [],
    ],
    ['an open OOS investigation', { oos_investigations: { 'oos-1': 'open' } }, []],
    ['a confirmed OOS result', { oos_investigations: { 'oos-1': 'confirmed' } }, []],
  ])('is not ready with %s', (_, overrides, deviations) => {
    expect(readyFor({ ...coaIssued, ...overrides }, ...deviations)).toBe(false);
  });

  it.each([
    'scheduled',
    'in-manufacture',
    'held',
    'manufacturing-complete',
    'record-reviewed',
    'qc-testing',
  ])('is not ready while %s, even with nothing against it', (status) => {
    // Blockers list what is wrong; the lifecycle still has to reach the CoA.
    expect(isReleaseReady([], status)).toBe(false);
  });

  it('counts a certified or shipped batch as released, never an aborted one', () => {
    expect(isReleaseReady([], 'qp-certified')).toBe(true);
    expect(isReleaseReady([], 'shipped')).toBe(true);
    expect(isReleaseReady([], 'aborted')).toBe(false);
  });

  // Two gaps these tests found (and that are now fixed): a rejected batch looked ready, and a
  // batch dispositioned before its CoA did not ask for one.
  it('is not ready once QA rejected the batch (the QP can never certify it)', () => {
    expect(
      readyFor({
        ...coaIssued,
        status: 'dispositioned',
        disposition_decision: 'rejected',
        disposition_signature: SIGNATURE,
      }),
    ).toBe(false);
  });

  it('asks for the CoA of a batch dispositioned straight from QC testing', () => {
    // The domain allows the disposition before the CoA, but certification needs one.
    const row = batch({
      status: 'dispositioned',
      disposition_decision: 'released',
      disposition_signature: SIGNATURE,
    });
    expect(releaseBlockers(row, lookup()).map((blocker) => blocker.kind)).toContain('missing-coa');
  });
});

describe('the blockers column read back', () => {
  it('gives back what releaseBlockers wrote, and leaves out anything that is no blocker', () => {
    const written = releaseBlockers(
      batch({ open_deviations: { 'dev-1': 'major' } }),
      () => undefined,
    );
    expect(written.length).toBeGreaterThan(1);
    expect(releaseBlockersOf(JSON.parse(JSON.stringify(written)))).toEqual(written);
    const stray = [
      { kind: 'open-deviation', reference: 'dev-2', severity: 'critical', description: 'Open' },
      { kind: 'made-up', reference: null, severity: null, description: 'x' },
      { kind: 'missing-coa', reference: 3, severity: null, description: 'x' },
      'missing-coa',
      null,
    ];
    expect(releaseBlockersOf(stray)).toEqual([stray[0]]);
    expect(releaseBlockersOf({ kind: 'missing-coa' })).toEqual([]);
    expect(releaseBlockersOf(null)).toEqual([]);
  });
});
