import type { EventMetadata, JsonObject, RecordedEvent } from '@concord/event-store';
import { describe, expect, it } from 'vitest';
import {
  ProjectionChunk,
  type ChunkWrites,
  type ReadModelChange,
  type RowLoader,
} from './project-chunk.ts';
import type { BatchRow, Json } from './rows.ts';

const SPONSOR = 'helvion-tx';
const CDMO = 'northbridge-bio';
const AGREEMENT = 'qa-htx-nb-2026';
const PRODUCT = 'prd-hlv-201';
const BATCH = 'northbridge-bio:b-nb-hlv201-26-0201';
const DEVIATION = 'northbridge-bio:dev-nb-26-0101';
const QC_ANALYST = { personId: 'nb-p-0331', printedName: 'Aoife Byrne' };
const QA = { personId: 'nb-p-0147', printedName: 'Siobhán Murphy' };

// --- an in-memory read model --------------------------------------------------------------

type Tables = {
  [Table in Exclude<keyof ChunkWrites, 'changes'>]: Map<string, ChunkWrites[Table][number]>;
};

/**
 * PostgreSQL hands jsonb objects back with their keys reordered (shorter keys first, then
 * bytewise), so the fake does the same: a projection must not depend on the key order it wrote.
 */
function asJsonb<T>(value: T): T {
  if (Array.isArray(value)) return value.map(asJsonb) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).sort(([a], [b]) =>
    a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0,
  );
  return Object.fromEntries(entries.map(([key, inner]) => [key, asJsonb(inner)])) as T;
}

/**
 * The read-model tables as Maps keyed like their primary keys, behind the RowLoader a chunk
 * reads through: what `sqlRowLoader` and `writeChunk` do against SQL, without a database. Rows
 * are copied in and out, as a database would, so one chunk never sees another's objects.
 */
class MemoryReadModel {
  readonly tables: Tables = {
    organizations: new Map(),
    people: new Map(),
    agreements: new Map(),
    batches: new Map(),
    qcResults: new Map(),
    deviations: new Map(),
    deviationBatches: new Map(),
    timeline: new Map(),
  };
  /** How often each loader method was asked, to see what a chunk had to load. */
  readonly loads: Record<keyof RowLoader, number> = {
    organizations: 0,
    people: 0,
    agreements: 0,
    batches: 0,
    qcResults: 0,
    deviations: 0,
    deviationBatches: 0,
    timeline: 0,
  };

  readonly loader: RowLoader = {
    organizations: async (ids) => this.#select('organizations', (row) => ids.includes(row.id)),
    people: async (ids) => this.#select('people', (row) => ids.includes(row.organization_id)),
    agreements: async (ids) => this.#select('agreements', (row) => ids.includes(row.id)),
    batches: async (ids) => this.#select('batches', (row) => ids.includes(row.id)),
    qcResults: async (ids) => this.#select('qcResults', (row) => ids.includes(row.batch_id)),
    deviations: async (ids) => this.#select('deviations', (row) => ids.includes(row.id)),
    deviationBatches: async ({ deviationIds, batchIds }) =>
      this.#select(
        'deviationBatches',
        (row) => deviationIds.includes(row.deviation_id) || batchIds.includes(row.batch_id),
      ),
    timeline: async (ids) => this.#select('timeline', (row) => ids.includes(row.event_id)),
  };

  #select<Table extends keyof Tables>(
    table: Table,
    where: (row: ChunkWrites[Table][number]) => boolean,
  ): ChunkWrites[Table][number][] {
    this.loads[table]++;
    return [...this.tables[table].values()]
      .filter(where)
      .map((row) => asJsonb(structuredClone(row)));
  }

  write(writes: ChunkWrites): void {
    const upsert = <Table extends keyof Tables>(
      table: Table,
      keyOf: (row: ChunkWrites[Table][number]) => string,
    ) => {
      for (const row of writes[table])
        (this.tables[table] as Map<string, unknown>).set(keyOf(row), structuredClone(row));
    };
    upsert('organizations', (row) => row.id);
    upsert('people', (row) => `${row.organization_id}/${row.person_id}`);
    upsert('agreements', (row) => row.id);
    upsert('batches', (row) => row.id);
    upsert('qcResults', (row) => `${row.batch_id}/${row.result_id}`);
    upsert('deviations', (row) => row.id);
    upsert('deviationBatches', (row) => `${row.deviation_id}/${row.batch_id}`);
    upsert('timeline', (row) => row.position);
  }

  /** Every row, in key order, normalized as stored: what two read models are compared by. */
  dump(): Record<string, unknown[]> {
    return Object.fromEntries(
      Object.entries(this.tables).map(([table, rows]) => [
        table,
        [...rows.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, row]) => asJsonb(row)),
      ]),
    );
  }

  batch(id = BATCH): BatchRow {
    const row = this.tables.batches.get(id);
    if (!row) throw new Error(`no batch ${id} in the read model`);
    return row;
  }
}

/** Projects events as one chunk (prefetch, apply each, finish), then writes what it returned. */
async function project(model: MemoryReadModel, events: RecordedEvent[]): Promise<ChunkWrites> {
  const chunk = new ProjectionChunk(model.loader);
  await chunk.prefetch(events);
  for (const event of events) await chunk.apply(event);
  const writes = await chunk.finish();
  model.write(writes);
  return writes;
}

// --- recorded events, by hand ---------------------------------------------------------------

const at = (day: number, hour = 9) =>
  new Date(Date.UTC(2026, 3, day, hour)).toISOString().replace('.000Z', 'Z');

/**
 * Records events the way the store would (global positions, stream versions, the platform's
 * clock) without a store: a chunk only ever sees RecordedEvents.
 */
function eventLog() {
  let position = 0n;
  const versions = new Map<string, number>();
  const record = (
    streamId: string,
    type: string,
    data: JsonObject,
    metadata: EventMetadata = {},
  ): RecordedEvent => {
    position += 1n;
    const version = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, version);
    return {
      id: `ev-${position}`,
      type,
      data,
      metadata: { actorid: QA.personId, actororg: CDMO, time: at(1), ...metadata },
      streamId,
      streamVersion: version,
      globalPosition: position,
      recordedAt: new Date(Date.UTC(2026, 4, 1, 12, 0, Number(position))).toISOString(),
      hash: `hash-${position}`,
      previousHash: version === 1 ? null : `hash-${position - 1n}`,
    };
  };
  const signature = (person: { personId: string; printedName: string }, signedAt: string) => ({
    signerId: person.personId,
    printedName: person.printedName,
    signedAt,
    meaning: 'approval',
    reason: `Signed by ${person.printedName}.`,
  });
  const batchEvent = (kind: string, time: string, data: JsonObject = {}, actor = QA) =>
    record(
      `batch-${BATCH}`,
      `concord.batch.${kind}.v1`,
      { batchId: BATCH, ...data },
      { actorid: actor.personId, time },
    );
  const deviationEvent = (kind: string, time: string, data: JsonObject = {}) =>
    record(
      `deviation-${DEVIATION}`,
      `concord.deviation.${kind}.v1`,
      {
        deviationId: DEVIATION,
        ...data,
      },
      { time },
    );

  return {
    record,
    world: () => [
      record(`organization-${CDMO}`, 'concord.organization.registered.v1', {
        organizationId: CDMO,
        name: 'Northbridge Biologics',
        kind: 'cdmo',
      }),
      record(`organization-${CDMO}`, 'concord.organization.role-granted.v1', {
        organizationId: CDMO,
        ...QA,
        role: 'qa',
      }),
      record(`organization-${CDMO}`, 'concord.organization.role-granted.v1', {
        organizationId: CDMO,
        ...QC_ANALYST,
        role: 'qc',
      }),
      record(`agreement-${AGREEMENT}`, 'concord.agreement.version-approved.v1', {
        agreementId: AGREEMENT,
        version: 1,
        sponsorId: SPONSOR,
        cdmoId: CDMO,
        products: [{ productId: PRODUCT, name: 'Velarimab 150 mg/mL (HLV-201)' }],
        responsibilities: [{ activity: 'manufacturing', performedBy: 'cdmo' }],
        notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
        effectiveFrom: '2026-01-01T00:00:00Z',
      }),
    ],
    scheduled: () =>
      batchEvent('scheduled', at(1), {
        batchNumber: 'NB-HLV201-26-0201',
        productId: PRODUCT,
        agreementId: AGREEMENT,
        sponsorId: SPONSOR,
        cdmoId: CDMO,
        site: 'Cork Fill-Finish, IE',
        plannedQuantity: { value: 24_000, unit: 'vials' },
        plannedStart: at(10, 6),
      }),
    started: () => batchEvent('manufacturing-started', at(10), { startedAt: at(10) }),
    held: () =>
      batchEvent('manufacturing-held', at(11), { heldAt: at(11), reason: 'Particle alarm.' }),
    resumed: () =>
      batchEvent('manufacturing-resumed', at(12), { resumedAt: at(12), reason: 'Sensor fault.' }),
    completed: () =>
      batchEvent('manufacturing-completed', at(14), {
        completedAt: at(14),
        actualQuantity: { value: 23_870, unit: 'vials' },
      }),
    reviewed: (outcome: 'approved' | 'returned' = 'approved') =>
      batchEvent('record-reviewed', at(16), { outcome, signature: signature(QA, at(16)) }),
    qc: (value: number) =>
      batchEvent(
        'qc-result-recorded',
        at(20),
        {
          resultId: 'qc-014',
          test: 'Purity by SEC-HPLC (monomer)',
          method: 'TM-QC-0412 v3',
          specification: { lower: 97, unit: '%' },
          value,
          unit: '%',
          testedAt: at(20),
        },
        QC_ANALYST,
      ),
    coa: () =>
      batchEvent('coa-issued', at(21), {
        coaId: 'coa-26-0201',
        issuedAt: at(21),
        signature: signature(QA, at(21)),
      }),
    linked: (severity: string) =>
      batchEvent('deviation-linked', at(22), { deviationId: DEVIATION, severity }),
    reported: (severity: string) =>
      deviationEvent('reported', at(22), {
        title: 'Environmental monitoring excursion',
        description: 'Action limit exceeded in Grade A.',
        category: 'environmental-monitoring',
        severity,
        productId: PRODUCT,
        agreementId: AGREEMENT,
        linkedBatchIds: [BATCH],
        detectedAt: at(22, 7),
      }),
    classified: (severity: string) =>
      deviationEvent('classified', at(23), {
        severity,
        category: 'environmental-monitoring',
        rationale: 'No product exposure.',
      }),
    capaProposed: () =>
      deviationEvent('capa-proposed', at(24), {
        capaId: 'capa-26-0101',
        actions: [{ description: 'Replace inlet tubing.', owner: 'Engineering' }],
      }),
    correction: (corrected: RecordedEvent, changes: { path: string; newValue: Json }[]) =>
      record(
        corrected.streamId,
        'concord.correction.recorded.v1',
        {
          correctedEventId: `partner-${corrected.id}`,
          changes: changes.map((change) => ({ ...change, oldValue: null })),
          reason: 'Integration error: the peak was split; reprocessed per SOP-QC-114.',
        },
        // The stored id of what it corrects, resolved by ingest from the partner's id.
        { actorid: QC_ANALYST.personId, correctedStoredEventId: corrected.id, time: at(25) },
      ),
  };
}

const kinds = (row: BatchRow) => row.blockers.map((blocker) => blocker.kind);
const readinessOf = (changes: ReadModelChange[]) =>
  changes.filter((change) => change.kind === 'readiness').map((change) => change.id);

// --- the tests ----------------------------------------------------------------------------

describe('ProjectionChunk', () => {
  it('moves a batch through its lifecycle with the domain, keeping its facts and timeline', async () => {
    const log = eventLog();
    const model = new MemoryReadModel();
    await project(model, log.world());

    const statuses: string[] = [];
    for (const event of [
      log.scheduled(),
      log.started(),
      log.held(),
      log.resumed(),
      log.completed(),
      log.reviewed('returned'),
      log.reviewed('approved'),
      log.qc(98.1),
      log.coa(),
    ]) {
      await project(model, [event]);
      statuses.push(model.batch().status);
    }
    expect(statuses).toEqual([
      'scheduled',
      'in-manufacture',
      'held',
      'in-manufacture',
      'manufacturing-complete',
      'manufacturing-complete', // a returned record review keeps the status
      'record-reviewed',
      'qc-testing',
      'coa-issued',
    ]);
    expect(model.batch()).toMatchObject({
      product_name: 'Velarimab 150 mg/mL (HLV-201)',
      sponsor_id: SPONSOR,
      cdmo_id: CDMO,
      started_at: at(10),
      completed_at: at(14),
      actual_quantity_value: 23_870,
      record_reviewed_at: at(16),
      coa_id: 'coa-26-0201',
      release_ready: true,
      blocker_count: 2,
      stream_version: 9,
    });
    expect(kinds(model.batch())).toEqual(['missing-disposition', 'missing-certification']);
    expect([...model.tables.qcResults.values()]).toMatchObject([
      { result_id: 'qc-014', value: 98.1, within_specification: true, corrected: false },
    ]);

    const timeline = [...model.tables.timeline.values()];
    expect(timeline).toHaveLength(9);
    expect(timeline.find((entry) => entry.type.includes('qc-result'))).toMatchObject({
      batch_id: BATCH,
      actor_id: QC_ANALYST.personId,
      actor_name: QC_ANALYST.printedName,
      summary: 'QC result qc-014, Purity by SEC-HPLC (monomer): 98.1 %',
    });
  });

  it('gives the same rows whether the events come in one chunk or split anywhere', async () => {
    const log = eventLog();
    const world = log.world();
    const qc = log.qc(98.1);
    const events = [
      log.scheduled(),
      log.started(),
      log.reported('major'),
      log.linked('major'),
      log.completed(),
      log.reviewed(),
      qc,
      log.classified('minor'),
      log.linked('minor'),
      log.coa(),
      log.correction(qc, [{ path: '/value', newValue: 96.2 }]),
      log.capaProposed(),
    ];

    const whole = new MemoryReadModel();
    await project(whole, world);
    await project(whole, events);

    for (let split = 1; split < events.length; split++) {
      const parted = new MemoryReadModel();
      await project(parted, world);
      await project(parted, events.slice(0, split));
      // The second chunk starts from what the first one wrote, read back through the loader.
      await project(parted, events.slice(split));
      expect(parted.dump(), `split before event ${split + 1}`).toEqual(whole.dump());
    }

    const eventByEvent = new MemoryReadModel();
    for (const event of [...world, ...events]) await project(eventByEvent, [event]);
    expect(eventByEvent.dump()).toEqual(whole.dump());
  });

  it('shows a corrected QC result, marks the original, and never rewrites what was recorded', async () => {
    const log = eventLog();
    const model = new MemoryReadModel();
    const qc = log.qc(98.1);
    await project(model, [...log.world(), log.scheduled(), log.started(), log.completed()]);
    await project(model, [log.reviewed(), qc]);

    const first = log.correction(qc, [{ path: '/value', newValue: 96.2 }]);
    await project(model, [first]);
    expect(model.tables.qcResults.get(`${BATCH}/qc-014`)).toMatchObject({
      value: 96.2,
      within_specification: false,
      corrected: true,
      // Still the event that recorded the result: the correction restates it.
      event_id: qc.id,
    });
    const original = model.tables.timeline.get(String(qc.globalPosition))!;
    expect(original.data).toMatchObject({ value: 98.1 });
    expect(original.corrected_data).toMatchObject({
      value: 96.2,
      test: 'Purity by SEC-HPLC (monomer)',
    });
    expect(original.corrected_by_event_ids).toEqual([first.id]);
    expect(model.tables.timeline.get(String(first.globalPosition))).toMatchObject({
      corrects_event_id: qc.id,
      summary: 'Correction: /value → 96.2',
      reason: expect.stringMatching(/^Integration error/),
    });
    // A correction states facts; it does not move the lifecycle.
    expect(model.batch().status).toBe('qc-testing');

    // A second correction builds on the first.
    const second = log.correction(qc, [{ path: '/value', newValue: 97.4 }]);
    await project(model, [second]);
    expect(model.tables.qcResults.get(`${BATCH}/qc-014`)).toMatchObject({
      value: 97.4,
      within_specification: true,
    });
    const twice = model.tables.timeline.get(String(qc.globalPosition))!;
    expect(twice.data).toEqual(qc.data);
    expect(twice.corrected_data).toMatchObject({ value: 97.4 });
    expect(twice.corrected_by_event_ids).toEqual([first.id, second.id]);
  });

  it('applies only correctable fields: a stored correction of a specification limit changes nothing', async () => {
    // The domain refuses such a correction today; one stored before the rule stays on the
    // record but cannot make an out-of-specification result pass in the read model.
    const log = eventLog();
    const model = new MemoryReadModel();
    const qc = log.qc(96.2);
    await project(model, [...log.world(), log.scheduled(), log.started(), log.completed()]);
    await project(model, [log.reviewed(), qc]);
    const legacy = log.correction(qc, [
      { path: '/specification/lower', newValue: 95 },
      { path: '/value', newValue: 96.4 },
    ]);
    await project(model, [legacy]);
    expect(model.tables.qcResults.get(`${BATCH}/qc-014`)).toMatchObject({
      value: 96.4,
      specification_lower: 97,
      within_specification: false,
    });
    expect(model.tables.timeline.get(String(legacy.globalPosition))).toMatchObject({
      corrects_event_id: qc.id,
    });
  });

  it("changes a linked batch's blockers when its deviation changes, and says so", async () => {
    const log = eventLog();
    const model = new MemoryReadModel();
    await project(model, [
      ...log.world(),
      log.scheduled(),
      log.started(),
      log.completed(),
      log.reviewed(),
      log.qc(98.1),
      log.coa(),
    ]);
    expect(model.batch().release_ready).toBe(true);

    // The deviation is reported; the process manager links it in the batch's stream.
    const reported = await project(model, [log.reported('major'), log.linked('major')]);
    expect(kinds(model.batch())).toEqual([
      'open-deviation',
      'missing-disposition',
      'missing-certification',
    ]);
    expect(model.batch().release_ready).toBe(false);
    expect(model.tables.deviationBatches.get(`${DEVIATION}/${BATCH}`)).toMatchObject({
      sponsor_id: SPONSOR,
      cdmo_id: CDMO,
    });
    expect(readinessOf(reported.changes)).toEqual([BATCH]);
    expect(model.tables.deviations.get(DEVIATION)).toMatchObject({
      status: 'reported',
      notification_deadline: '2026-04-25T07:00:00.000Z', // detected + 72 h for a major
    });

    // Only the deviation's stream moves: the link finds the batch, whose readiness changes.
    const reclassified = await project(model, [log.classified('minor')]);
    expect(reclassified.batches.map((row) => row.id)).toEqual([BATCH]);
    expect(kinds(model.batch())).toEqual(['missing-disposition', 'missing-certification']);
    expect(model.batch().release_ready).toBe(true);
    expect(reclassified.changes).toContainEqual({
      kind: 'readiness',
      id: BATCH,
      sponsorId: SPONSOR,
      cdmoId: CDMO,
      // The batch's own last position: no batch event was projected in this chunk.
      position: BigInt(model.batch().last_position),
    });

    // A minor deviation's CAPA does not wait on the sponsor to release: readiness stays.
    const proposed = await project(model, [log.capaProposed()]);
    expect(kinds(model.batch())).toEqual(['missing-disposition', 'missing-certification']);
    expect(readinessOf(proposed.changes)).toEqual([]);
  });

  // jsonb hands `blockers` back with its keys reordered: readiness must be compared by value, or
  // every chunk touching a blocked batch would announce a readiness change.
  it('announces no readiness change when readiness stayed as it was', async () => {
    const log = eventLog();
    const model = new MemoryReadModel();
    await project(model, [...log.world(), log.scheduled()]);
    const started = await project(model, [log.started()]);
    expect(kinds(model.batch())).toEqual(['missing-disposition', 'missing-certification']);
    expect(readinessOf(started.changes)).toEqual([]);
  });
});
