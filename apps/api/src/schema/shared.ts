import type { ElectronicSignature } from '@concord/domain';
import { builder } from '../builder.ts';

/** GraphQL enum names for the domain's hyphenated values (`in-manufacture` → IN_MANUFACTURE). */
function enumValues<const Value extends string>(values: readonly Value[]) {
  return Object.fromEntries(
    values.map((value) => [value.toUpperCase().replaceAll('-', '_'), { value }]),
  ) as Record<string, { value: Value }>;
}

export const batchStatuses = [
  'scheduled',
  'in-manufacture',
  'held',
  'aborted',
  'manufacturing-complete',
  'record-reviewed',
  'qc-testing',
  'coa-issued',
  'dispositioned',
  'qp-certified',
  'shipped',
] as const;

export const deviationStatuses = [
  'reported',
  'classified',
  'under-investigation',
  'root-cause-identified',
  'impact-assessed',
  'capa-proposed',
  'capa-approved',
  'closure-approved',
  'closed',
] as const;

export const BatchStatus = builder.enumType('BatchStatus', {
  description: 'Where a batch stands in its lifecycle.',
  values: enumValues(batchStatuses),
});

export const DeviationStatus = builder.enumType('DeviationStatus', {
  values: enumValues(deviationStatuses),
});

export const Severity = builder.enumType('Severity', {
  values: enumValues(['minor', 'major', 'critical'] as const),
});

export const SortDirection = builder.enumType('SortDirection', {
  values: { ASC: { value: 'asc' }, DESC: { value: 'desc' } } as const,
});

export const SignatureMeaning = builder.enumType('SignatureMeaning', {
  values: enumValues(['review', 'approval', 'responsibility', 'authorship'] as const),
});

/** The manifestation of an e-signature (21 CFR 11.50): who, when, and what it means. */
export const SignatureManifestation = builder
  .objectRef<ElectronicSignature>('SignatureManifestation')
  .implement({
    fields: (t) => ({
      signerId: t.exposeID('signerId'),
      printedName: t.exposeString('printedName'),
      signedAt: t.field({ type: 'DateTime', resolve: (s) => new Date(s.signedAt) }),
      meaning: t.exposeString('meaning'),
      reason: t.exposeString('reason'),
    }),
  });

export const Quantity = builder.objectRef<{ value: number; unit: string }>('Quantity').implement({
  fields: (t) => ({ value: t.exposeFloat('value'), unit: t.exposeString('unit') }),
});

export const DateRange = builder.inputType('DateRange', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: false }),
    to: t.field({ type: 'DateTime', required: false }),
  }),
});

/** A Prisma `where` for a date column from an optional range. */
export function dateWhere(range: { from?: Date | null; to?: Date | null } | null | undefined) {
  if (!range) return undefined;
  return {
    ...(range.from ? { gte: range.from } : {}),
    ...(range.to ? { lte: range.to } : {}),
  };
}

/** Signatures are stored as recorded JSON; absent ones are null. */
export const asSignature = (value: unknown) => (value ?? null) as ElectronicSignature | null;
