import type { DeviationBatchImpactAssessedV1, Severity } from '@concord/contract';
import type { WorldProduct } from '@concord/contract/world';

/**
 * A deviation as the CDMO's QMS tells it, from the report to the conclusion. `{batch}` in a
 * text is replaced by the batch number.
 */
export interface DeviationStory {
  severity: Severity;
  category: string;
  title: string;
  description: string;
  classification: string;
  investigation: string;
  rootCause: string;
  rootCauseCategory: string;
  impact: DeviationBatchImpactAssessedV1['assessments'][number]['impact'];
  impactConclusion: string;
  /** CAPA actions: what, who, and in how many days. Minor deviations close without one. */
  capa?: { description: string; owner: string; dueInDays: number }[];
  conclusion: string;
  /** For a deviation found while the batch is made: why manufacture was held, and resumed. */
  hold?: { heldBecause: string; resumedBecause: string };
}

/** Which story a deviation tells: its severity, and for a major one whether it is reported late. */
export type DeviationKind = 'minor' | 'major' | 'major-late' | 'critical';

const sterile: Record<DeviationKind, DeviationStory> = {
  minor: {
    severity: 'minor',
    category: 'environmental-monitoring',
    title: 'Grade A particle counter alarm during filling, line 2',
    description:
      'During filling of batch {batch} the continuous particle monitor at the filling needles of line 2 reported 0.5 µm counts above the action limit. Filling was stopped and the vials filled in the alarm window segregated.',
    classification:
      'Counts from a single sensor with settle plates and active air samples in the window showing no growth; no open product exposed beyond the segregated trays: minor.',
    investigation:
      'Settle plates and active air samples of the window show no growth at 5 days; smoke study repeated after the counter was replaced; media fill history of line 2 is clean.',
    rootCause:
      'Cracked inlet tube on particle counter PC-L2-03 let room air into the sensor head and produced false counts; Grade A conditions were not lost.',
    rootCauseCategory: 'equipment',
    impact: 'none',
    impactConclusion:
      'No impact on sterility assurance; the 1,152 segregated vials were rejected as a precaution, the remainder of the batch is unaffected.',
    conclusion:
      'False particle counts from a damaged sensor inlet; segregated vials rejected, no further product impact. Inlet tubes added to the preventive maintenance plan.',
    hold: {
      heldBecause:
        'Grade A particle counter alarm at the filling needles of line 2 (≥0.5 µm action limit exceeded); filling stopped pending QA assessment.',
      resumedBecause:
        'Alarm traced to a sensor fault; counter replaced and line re-qualified by smoke study; QA release to resume filling.',
    },
  },
  major: {
    severity: 'major',
    category: 'storage',
    title: 'Cold room temperature excursion with drug substance in storage',
    description:
      'Cold room CR-2.14 reached 9.6 °C for 3 h 20 min (limit 2–8 °C) after a compressor trip while the drug substance for batch {batch} was stored there. Material quarantined in place; temperature restored by the standby unit.',
    classification:
      'Excursion outside the labelled storage condition of a biologic drug substance used in a batch in progress: major, pending stability assessment.',
    investigation:
      'Data logger traces reviewed (peak 9.6 °C, 200 min above 8 °C); supported stability data cover 14 days at 25 °C; drug substance re-tested for purity and potency before use.',
    rootCause:
      'Compressor of cold room CR-2.14 tripped on a failed contactor; the automatic switch-over to the standby unit was delayed by a mis-set alarm delay (60 min instead of 10 min).',
    rootCauseCategory: 'equipment',
    impact: 'minor',
    impactConclusion:
      'Excursion covered by the supported stability data; re-test of the drug substance within specification. No impact on product quality once the deviation is closed.',
    capa: [
      {
        description:
          'Replace the compressor contactors of cold rooms CR-2.11 to CR-2.16 and add them to the preventive maintenance plan.',
        owner: 'Engineering, Cork',
        dueInDays: 30,
      },
      {
        description:
          'Correct the standby switch-over alarm delay to 10 min on all cold rooms and verify it under change control.',
        owner: 'Facilities and Utilities, Cork',
        dueInDays: 14,
      },
    ],
    conclusion:
      'Temperature excursion caused by a failed contactor and a mis-set alarm delay; no product impact. CAPA approved by the sponsor and in progress.',
  },
  'major-late': {
    severity: 'major',
    category: 'process',
    title: 'Bioburden hold time of pre-filtration bulk exceeded',
    description:
      'The pooled bulk of batch {batch} was held 27 h 10 min before sterile filtration against a validated maximum of 24 h (PV-FF-07). The operator noted it in the shift log at the time; the deviation was raised and notified to the sponsor only after the executed batch record review.',
    classification:
      'Validated hold time exceeded for a step that controls microbial load before sterile filtration: major. Notification outside the agreement deadline to be addressed in the CAPA.',
    investigation:
      'Pre-filtration bioburden 1 CFU/100 mL (limit 10 CFU/100 mL), bulk endotoxin below 0.05 EU/mL; hold-time study data cover 36 h at 2–8 °C without growth.',
    rootCause:
      'The MES hold-time timer was paused during the shift handover and not restarted, so no alarm was raised at 24 h; the shift lead did not escalate the logbook entry to QA.',
    rootCauseCategory: 'human-error',
    impact: 'minor',
    impactConclusion:
      'Hold within the 36 h supported by the hold-time study; bioburden and endotoxin within limits. No impact on sterility assurance; the batch may be released once the deviation is closed.',
    capa: [
      {
        description:
          'Lock the MES hold-time timer against pausing during handover (change request CR-MES-2026-112).',
        owner: 'Manufacturing IT, Cork',
        dueInDays: 45,
      },
      {
        description:
          'Retrain shift leads on escalating logbook deviations to QA within one shift (SOP-QA-030) and add the hold clock to the handover checklist.',
        owner: 'Manufacturing Operations, Cork',
        dueInDays: 30,
      },
    ],
    conclusion:
      'Hold time exceeded within validated support; no product impact. Late notification addressed by the CAPA approved by the sponsor.',
  },
  critical: {
    severity: 'critical',
    category: 'sterility-assurance',
    title: 'Post-use integrity test failure of the sterilizing filter',
    description:
      'The post-use bubble point of sterilizing-grade filter SF-2 (0.22 µm) used for batch {batch} was 2,850 mbar against a minimum of 3,200 mbar; the sterility of the filtrate cannot be assured.',
    classification:
      'Failed integrity test of the final sterilizing filter: loss of sterility assurance for the filled product, critical.',
    investigation:
      'Re-wetting and repeat test failed; filter returned to the supplier for analysis; the housing O-ring was found pinched on disassembly.',
    rootCause:
      'A pinched O-ring at housing assembly allowed bypass around the filter; the assembly step has no seating check.',
    rootCauseCategory: 'equipment',
    impact: 'major',
    impactConclusion:
      'Sterility assurance of the batch cannot be demonstrated; the batch is to be rejected.',
    capa: [
      {
        description:
          'Add a seating and torque check of filter housing O-rings with second-person verification to SOP-MFG-133.',
        owner: 'Manufacturing Operations, Cork',
        dueInDays: 21,
      },
      {
        description:
          'Introduce pre-use post-sterilization integrity testing (PUPSIT) on filling line 2.',
        owner: 'Engineering, Cork',
        dueInDays: 90,
      },
    ],
    conclusion:
      'Filter bypass from a pinched housing O-ring; batch rejected. CAPA approved by the sponsor and in progress.',
  },
};

function oral(machine: string, suite: string): Record<DeviationKind, DeviationStory> {
  return {
    minor: {
      severity: 'minor',
      category: 'equipment',
      title: `Unit weight out of trend on ${machine}`,
      description: `During manufacture of batch {batch} the in-process weight checks on ${machine} were outside the alert limits (±3 %) twice in a row. The machine was stopped and the units made since the last good check segregated.`,
      classification:
        'Alert limits exceeded, action limits not reached; affected units segregated: minor.',
      investigation:
        'Segregated units weighed individually: all within the action limits; tooling inspected.',
      rootCause: `Worn tooling on ${machine} (station B7) caused an uneven fill; wear was within the inspection interval.`,
      rootCauseCategory: 'equipment',
      impact: 'none',
      impactConclusion:
        'Segregated units rejected as a precaution; uniformity of dosage units of the batch within specification.',
      conclusion:
        'Tooling wear caused the weight trend; tooling replaced and inspection interval shortened. No product impact.',
      hold: {
        heldBecause: `${machine} stopped: in-process unit weight outside the alert limits (±3 %) on two consecutive checks.`,
        resumedBecause:
          'Worn tooling replaced; unit weights within limits over three consecutive checks; QA release to resume.',
      },
    },
    major: {
      severity: 'major',
      category: 'environmental-monitoring',
      title: `Relative humidity excursion in ${suite}`,
      description: `Relative humidity in ${suite} reached 62 % for 2 h 05 min (limit 50 %) while batch {batch} was processed; the product is moisture-sensitive. Processing continued under QA oversight.`,
      classification:
        'Environmental condition outside its limit for a moisture-sensitive product: major, pending water content and dissolution results.',
      investigation:
        'HVAC trend data reviewed; water content of in-process samples from the excursion window 1.9 % w/w (limit 3.0 %).',
      rootCause:
        'Desiccant wheel of air handling unit AHU-07 stopped on a failed drive belt; no alarm was configured for the wheel.',
      rootCauseCategory: 'equipment',
      impact: 'minor',
      impactConclusion:
        'Water content and dissolution within specification; no impact on product quality once the deviation is closed.',
      capa: [
        {
          description:
            'Configure a rotation alarm on the desiccant wheels of AHU-05 to AHU-09 in the building management system.',
          owner: 'Engineering, Durham',
          dueInDays: 30,
        },
        {
          description: 'Add drive belt inspection to the monthly AHU maintenance checklist.',
          owner: 'Facilities, Durham',
          dueInDays: 14,
        },
      ],
      conclusion:
        'Humidity excursion from a failed desiccant wheel drive; no product impact. CAPA approved by the sponsor and in progress.',
    },
    'major-late': {
      severity: 'major',
      category: 'process',
      title: 'Wet granulation end point outside the validated range',
      description: `Wet massing of batch {batch} ran 15 min against a validated range of 8–12 min. The granulator recipe log showed it at the time; the deviation was raised and notified to the sponsor only after the executed batch record review.`,
      classification:
        'Critical process parameter outside its validated range: major. Notification outside the agreement deadline to be addressed in the CAPA.',
      investigation:
        'Granule particle size, loss on drying and blend uniformity of the batch within limits; dissolution results of the batch reviewed against the validation batches.',
      rootCause:
        'The wet massing time in the granulator recipe was edited on the HMI without change control; the recipe audit trail was not part of the in-process review.',
      rootCauseCategory: 'procedure',
      impact: 'minor',
      impactConclusion:
        'Intermediate and finished product results within specification; no impact on product quality. The batch may be released once the deviation is closed.',
      capa: [
        {
          description:
            'Restrict recipe editing on granulators to engineering accounts under change control and review the recipe audit trail at each batch record review.',
          owner: 'Manufacturing Systems, Durham',
          dueInDays: 45,
        },
        {
          description:
            'Retrain production supervisors on raising deviations within one shift (SOP-QA-030).',
          owner: 'Production, Durham',
          dueInDays: 30,
        },
      ],
      conclusion:
        'Process parameter excursion without product impact; late notification addressed by the CAPA approved by the sponsor.',
    },
    critical: {
      severity: 'critical',
      category: 'cleaning',
      title: 'Residue of the previous product found on the blender after cleaning',
      description: `Visual residue was found on the discharge valve of bin blender BB-2 after batch {batch} had been blended; swab results of the valve were three times the cleaning acceptance limit for the previous product (a potent compound).`,
      classification:
        'Possible cross-contamination with a potent compound above the acceptance limit: critical.',
      investigation:
        'Valve dismantled and inspected; residue confined to the valve seat; samples of the batch sent for trace analysis of the previous product.',
      rootCause:
        'The discharge valve seat is not reached by the validated cleaning procedure unless the valve is dismantled, which the procedure did not require.',
      rootCauseCategory: 'procedure',
      impact: 'major',
      impactConclusion:
        'Cross-contamination of the batch above the acceptance limit cannot be excluded; the batch is to be rejected.',
      capa: [
        {
          description:
            'Revise the cleaning procedure of BB-2 to dismantle the discharge valve and re-validate the cleaning (CV-2026-018).',
          owner: 'Validation, Durham',
          dueInDays: 60,
        },
        {
          description: 'Assess all blenders with the same valve type for the same gap.',
          owner: 'Engineering, Durham',
          dueInDays: 30,
        },
      ],
      conclusion:
        'Ineffective cleaning of the blender discharge valve; batch rejected. CAPA approved by the sponsor and in progress.',
    },
  };
}

const tablets = oral('tablet press TP-3', 'compression suite C2');
const capsules = oral('encapsulator EN-2', 'encapsulation suite E1');

export function deviationStory(product: WorldProduct, kind: DeviationKind): DeviationStory {
  const stories =
    product.form === 'sterile-injectable'
      ? sterile
      : product.form === 'tablets'
        ? tablets
        : capsules;
  return stories[kind];
}
