import type { CatalogueEvent } from './event.ts';

export type CorrectionRecorded = CatalogueEvent<'concord.correction.recorded.v1'>;

/** One changed value: `path` is a JSON pointer into the corrected event's data. */
export type CorrectionChange = CorrectionRecorded['data']['changes'][number];

/**
 * The fields of each event type that a correction may change, as JSON pointers into its data
 * (`*` stands for any array index; a pointer covers what lies beneath it). A correction restates
 * a recorded value (a QC result, a quantity, a typo in free text). It never changes a decision,
 * an identity, the parties, anything an electronic signature covers, or a fact the platform
 * derived: those change only through a new act. An empty list says exactly that.
 */
export type CorrectableFields<Type extends string> = { readonly [T in Type]: readonly string[] };
