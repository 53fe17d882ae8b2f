import { randomUUID } from 'node:crypto';
import { signEvent } from '@concord/contract';
import {
  AGREEMENT,
  CDMO,
  example,
  OTHER_AGREEMENT,
  OTHER_CDMO,
  OTHER_PRODUCT,
  OTHER_SPONSOR,
  personIn,
  PRODUCT,
  SPONSOR,
  type PartnerWorld,
} from './partner-world.ts';

/** One sponsor/CDMO pair under its quality agreement: who does what, and the texts they use. */
export interface Pair {
  sponsor: string;
  cdmo: string;
  agreement: string;
  product: string;
  /** Who certifies under this pair's agreement (the CDMO's QP for A, the sponsor's for B). */
  certifier: string;
  /** Text fields that name the pair's product, site and destination. */
  site: string;
  destination: string;
}

/** The first pair: Helvion (sponsor) and Northbridge (CDMO), certified by the CDMO's QP. */
export const PAIR_A: Pair = {
  sponsor: SPONSOR,
  cdmo: CDMO,
  agreement: AGREEMENT,
  product: PRODUCT,
  certifier: CDMO,
  site: 'Northbridge Biologics Cork Fill-Finish, Ringaskiddy, IE',
  destination: 'Helvion Therapeutics central depot Basel, CH',
};

/** The second pair: Aurora (sponsor) and Caldera (CDMO), certified by the sponsor's QP. */
export const PAIR_B: Pair = {
  sponsor: OTHER_SPONSOR,
  cdmo: OTHER_CDMO,
  agreement: OTHER_AGREEMENT,
  product: OTHER_PRODUCT,
  certifier: OTHER_SPONSOR,
  site: 'Caldera Biologics oral solid dose plant, Durham NC, US',
  destination: 'Aurora Bio distribution centre, Uppsala, SE',
};

/** An id without its namespace: `northbridge-bio:b-1` → `b-1`. */
const localPart = (id: string) => id.slice(id.indexOf(':') + 1);

/** A signed partner event as it goes on the wire. */
export type PartnerEvent = Record<string, unknown> & {
  id: string;
  source: string;
  type: string;
  subject: string;
  data: Record<string, unknown>;
};

/**
 * Builders of realistic partner events for whole lifecycles, signed with the world's keys: the
 * feed of end-to-end tests (and of anything that needs a believable exchange).
 */
export function partnerFeed(world: PartnerWorld | (() => PartnerWorld)) {
  // A getter lets a suite build its feed before its world is seeded.
  const keyOf = (org: string) => (typeof world === 'function' ? world() : world).keys[org]!;
  // ---- the feed -------------------------------------------------------------------------------

  /**
   * A partner's event from a published example: the pair's own people, ids and texts, the
   * sender's source (`urn:concord:<org>:<system>`), an e-signature by the acting person at the
   * act's time, and the Ed25519 signature of the sending organization's key.
   */
  function build(
    org: string,
    path: string,
    subject: string,
    time: string,
    data: Record<string, unknown> = {},
    options: { role?: string; source?: string } = {},
  ): PartnerEvent {
    const base = example(path);
    const {
      signature: _signature,
      signaturekeyid: _keyId,
      recordedtime: _recorded,
      ...envelope
    } = base;
    const role = options.role ?? String(base.actorrole);
    const actor = personIn(org, role);
    const system = /^urn:concord:[^:]+:(.+)$/.exec(String(base.source))?.[1] ?? 'qms';
    const eSignature = base.data.signature as Record<string, unknown> | undefined;
    const merged: Record<string, unknown> = {
      ...base.data,
      [path.startsWith('batch/') ? 'batchId' : 'deviationId']: subject,
      ...(eSignature
        ? {
            signature: {
              ...eSignature,
              signerId: actor.personId,
              printedName: actor.printedName,
              signedAt: new Date(Date.parse(time) - 40_000).toISOString(),
              reason: `Signed by ${actor.printedName} (${role}) for ${org}.`,
            },
          }
        : {}),
      ...data,
    };
    const event = {
      ...envelope,
      type: String(base.type),
      id: randomUUID(),
      source: options.source ?? `urn:concord:${org}:${system}`,
      subject,
      time,
      actorid: actor.personId,
      actororg: org,
      actorrole: role,
      correlationid: `wf-${subject}`,
      // An override of `undefined` removes the example's field (a release states no conditions).
      data: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    };
    return signEvent(event, keyOf(org));
  }

  /** The lifecycle steps of a batch, each an event of the party the pair's agreement names. */
  const batch = (pair: Pair, batchId: string) => {
    const number = localPart(batchId).slice(2).toUpperCase();
    const cdmo = (path: string, time: string, data: Record<string, unknown> = {}) =>
      build(pair.cdmo, path, batchId, time, data);
    return {
      scheduled: (time: string) =>
        cdmo('batch/scheduled.v1', time, {
          batchNumber: number,
          productId: pair.product,
          agreementId: pair.agreement,
          sponsorId: pair.sponsor,
          cdmoId: pair.cdmo,
          site: pair.site,
        }),
      started: (time: string) => cdmo('batch/manufacturing-started.v1', time, { startedAt: time }),
      held: (time: string) =>
        cdmo('batch/manufacturing-held.v1', time, {
          heldAt: time,
          reason: 'Line stopped: particle counter alarm, pending QA assessment.',
        }),
      resumed: (time: string) =>
        cdmo('batch/manufacturing-resumed.v1', time, {
          resumedAt: time,
          reason: 'Sensor fault confirmed and counter replaced; QA release to resume.',
        }),
      completed: (time: string) =>
        cdmo('batch/manufacturing-completed.v1', time, { completedAt: time }),
      reviewed: (time: string) =>
        cdmo('batch/record-reviewed.v1', time, {
          comments: `Executed batch record of ${number} complete and reviewed.`,
        }),
      // Purity at or above 97 % is within the specification (the example's 96.4 is not).
      qc: (time: string, value: number) =>
        cdmo('batch/qc-result-recorded.v1', time, {
          resultId: `qc-${localPart(batchId)}-014`,
          value,
          testedAt: time,
        }),
      coa: (time: string) =>
        cdmo('batch/coa-issued.v1', time, { coaId: `coa-${number}`, issuedAt: time }),
      disposition: (time: string, decision: 'released' | 'rejected') =>
        cdmo('batch/disposition-recorded.v1', time, { decision, conditions: undefined }),
      certified: (time: string) =>
        build(
          pair.certifier,
          'batch/qp-certified.v1',
          batchId,
          time,
          { registerEntryId: `QPR-${number}`, certifiedAt: time },
          { role: 'qp' },
        ),
      shipped: (time: string) =>
        cdmo('batch/shipped.v1', time, {
          shipmentId: `shp-${number}`,
          shippedAt: time,
          destination: pair.destination,
        }),
    };
  };

  /** The steps of a deviation: the CDMO investigates and closes, the sponsor approves. */
  const deviation = (pair: Pair, deviationId: string) => {
    const cdmo = (path: string, time: string, data: Record<string, unknown> = {}) =>
      build(pair.cdmo, path, deviationId, time, data);
    const capaId = `capa-${localPart(deviationId).slice(4)}`;
    return {
      reported: (time: string, severity: string, linkedBatchIds: string[], detectedAt: string) =>
        cdmo('deviation/reported.v1', time, {
          title: `Environmental monitoring excursion (${deviationId})`,
          description: `Action limit exceeded during processing of ${linkedBatchIds.join(', ')}; affected units segregated.`,
          severity,
          productId: pair.product,
          agreementId: pair.agreement,
          linkedBatchIds,
          detectedAt,
        }),
      classified: (time: string, severity: string) =>
        cdmo('deviation/classified.v1', time, { severity }),
      investigated: (time: string) => cdmo('deviation/investigation-updated.v1', time),
      rootCause: (time: string) => cdmo('deviation/root-cause-identified.v1', time),
      assessed: (time: string, batchIds: string[]) =>
        cdmo('deviation/batch-impact-assessed.v1', time, {
          assessments: batchIds.map((batchId) => ({
            batchId,
            impact: 'none',
            conclusion: 'No impact on product quality.',
          })),
        }),
      capaProposed: (time: string) => cdmo('deviation/capa-proposed.v1', time, { capaId }),
      capaApproved: (time: string) =>
        build(pair.sponsor, 'deviation/capa-approved.v1', deviationId, time, { capaId }),
      closureApproved: (time: string) =>
        build(pair.sponsor, 'deviation/closure-approved.v1', deviationId, time),
      closed: (time: string) =>
        cdmo('deviation/closed.v1', time, {
          conclusion: `Root cause addressed; ${capaId} in progress.`,
        }),
    };
  };

  /**
   * A batch from scheduling to its release on `date` (YYYY-MM-DD, one step an hour from 01:00),
   * then certified by the pair's QP at 08:00 when `certified`.
   */
  const released = (pair: Pair, batchId: string, date: string, { certified = true } = {}) => {
    const steps = batch(pair, batchId);
    const at = (hour: number) => `${date}T${String(hour).padStart(2, '0')}:00:00Z`;
    return [
      steps.scheduled(at(1)),
      steps.started(at(2)),
      steps.completed(at(3)),
      steps.reviewed(at(4)),
      steps.qc(at(5), 98.4),
      steps.coa(at(6)),
      steps.disposition(at(7), 'released'),
      ...(certified ? [steps.certified(at(8))] : []),
    ];
  };

  return { build, batch, deviation, released };
}
