import type { Specification } from '@concord/contract';
import type { WorldProduct } from '@concord/contract/world';

/** A release test of a product's QC panel, with where its results usually fall. */
export interface QcTest {
  /** Short code in result ids. */
  code: string;
  test: string;
  method: string;
  specification: Specification;
  /** Typical result and how far results stray from it. */
  typical: number;
  spread: number;
  decimals: number;
}

/**
 * An out-of-specification result the feed plays out: the test, the value found, and how the
 * investigation ends either way (a laboratory error and its re-test, or a confirmed failure).
 */
export interface OosCase {
  testCode: string;
  value: number;
  invalidated: { rootCause: string; retestValue: number };
  confirmed: { rootCause: string; rejection: string };
}

function sterilePanel(strengthMgPerMl: number): QcTest[] {
  return [
    {
      code: 'prot',
      test: 'Protein content (UV A280)',
      method: 'TM-QC-0101 v5',
      specification: {
        lower: Math.round(strengthMgPerMl * 0.95 * 10) / 10,
        upper: Math.round(strengthMgPerMl * 1.05 * 10) / 10,
        unit: 'mg/mL',
      },
      typical: strengthMgPerMl * 1.003,
      spread: strengthMgPerMl * 0.012,
      decimals: 1,
    },
    {
      code: 'sec',
      test: 'Purity by SEC-HPLC (monomer)',
      method: 'TM-QC-0412 v3',
      specification: { lower: 97, unit: '%' },
      typical: 98.8,
      spread: 0.35,
      decimals: 1,
    },
    {
      code: 'pot',
      test: 'Potency (cell-based reporter gene assay, relative to reference standard)',
      method: 'TM-QC-0630 v2',
      specification: { lower: 80, upper: 125, unit: '%' },
      typical: 101,
      spread: 6,
      decimals: 0,
    },
    {
      code: 'bet',
      test: 'Bacterial endotoxins (Ph. Eur. 2.6.14, kinetic chromogenic)',
      method: 'TM-QC-0207 v4',
      specification: { upper: 0.15, unit: 'EU/mg' },
      typical: 0.03,
      spread: 0.01,
      decimals: 3,
    },
    {
      code: 'ster',
      test: 'Sterility (Ph. Eur. 2.6.1, membrane filtration, 14 days)',
      method: 'TM-MB-0015 v6',
      specification: { upper: 0, unit: 'containers with growth' },
      typical: 0,
      spread: 0,
      decimals: 0,
    },
  ];
}

const oralPanel: QcTest[] = [
  {
    code: 'assay',
    test: 'Assay (HPLC, % of label claim)',
    method: 'TM-QC-2104 v2',
    specification: { lower: 95, upper: 105, unit: '% LC' },
    typical: 100.2,
    spread: 1.1,
    decimals: 1,
  },
  {
    code: 'diss',
    test: 'Dissolution (Ph. Eur. 2.9.3, paddle 50 rpm, mean at 30 min)',
    method: 'TM-QC-2230 v4',
    specification: { lower: 80, unit: '%' },
    typical: 92,
    spread: 2.5,
    decimals: 0,
  },
  {
    code: 'rs',
    test: 'Related substances, total impurities (HPLC)',
    method: 'TM-QC-2105 v2',
    specification: { upper: 1, unit: '%' },
    typical: 0.32,
    spread: 0.06,
    decimals: 2,
  },
  {
    code: 'udu',
    test: 'Uniformity of dosage units (Ph. Eur. 2.9.40, acceptance value)',
    method: 'TM-QC-2140 v1',
    specification: { upper: 15, unit: 'AV' },
    typical: 4.5,
    spread: 1.2,
    decimals: 1,
  },
  {
    code: 'kf',
    test: 'Water content (Karl Fischer, Ph. Eur. 2.5.12)',
    method: 'TM-QC-2012 v3',
    specification: { upper: 3, unit: '% w/w' },
    typical: 1.6,
    spread: 0.2,
    decimals: 1,
  },
];

/** The release tests of a product, in the order the laboratory reports them. */
export function qcPanel(product: WorldProduct): QcTest[] {
  return product.form === 'sterile-injectable'
    ? sterilePanel(product.strengthMgPerMl ?? 100)
    : oralPanel;
}

/** The out-of-specification story of a product form. */
export function oosCase(product: WorldProduct): OosCase {
  if (product.form === 'sterile-injectable') {
    return {
      testCode: 'sec',
      value: 96.4,
      invalidated: {
        rootCause:
          'Phase I laboratory investigation: the SEC column exceeded its qualified injection count and system suitability passed only marginally. Re-test on a new column by a second analyst gave 98.6 % monomer (n=3); original result invalidated per SOP-QC-009.',
        retestValue: 98.6,
      },
      confirmed: {
        rootCause:
          'Phase II investigation: re-tests by a second analyst on a new column (96.2 %, 96.5 %) confirm the result; high-molecular-weight species traced to a freeze-thaw excursion of the drug substance container before formulation.',
        rejection:
          'Rejected: purity by SEC-HPLC out of specification, confirmed by the OOS investigation.',
      },
    };
  }
  return {
    testCode: 'diss',
    value: 74,
    invalidated: {
      rootCause:
        'Phase I laboratory investigation: paddle height of dissolution vessel 4 measured 28 mm (25 ± 2 mm), apparatus outside calibration. Re-test on a calibrated bath gave a mean of 91 % at 30 min; original result invalidated per SOP-QC-009.',
      retestValue: 91,
    },
    confirmed: {
      rootCause:
        'Phase II investigation: re-tests on a second calibrated bath (75 %, 73 %) confirm slow release; over-lubrication during final blending (blend time 9 min against 3 min) identified as the cause.',
      rejection: 'Rejected: dissolution out of specification, confirmed by the OOS investigation.',
    },
  };
}

/**
 * A result inside the specification, drawn around the test's typical value and kept clear of
 * the limits, so a release test the feed means to pass never fails by chance.
 */
export function inSpecificationValue(test: QcTest, random: () => number): number {
  const { lower, upper } = test.specification;
  const drawn = test.typical + test.spread * (random() + random() + random() - 1.5);
  const step = 10 ** -test.decimals;
  const floor = lower === undefined ? -Infinity : lower + step;
  const ceiling = upper === undefined ? Infinity : upper - step;
  const clamped = upper === 0 ? 0 : Math.min(Math.max(drawn, floor), ceiling);
  const rounded = Number(clamped.toFixed(test.decimals));
  // Results are never negative (endotoxins, impurities), whatever the draw.
  return Math.max(rounded, 0);
}
