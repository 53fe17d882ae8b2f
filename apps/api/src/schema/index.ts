import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from '../builder.ts';
import './shared.ts';
import './organization.ts';
import './batch.ts';
import './deviation.ts';
import './timeline.ts';
import './summary.ts';
import './subscriptions.ts';
import './mutations.ts';
import './audit.ts';
import './audit-as-of.ts';
import './log.ts';
import './qp-register.ts';
import './administration.ts';
import './operator-desk.ts';

builder.queryType({});
builder.mutationType({});

export const schema = builder.toSchema();

/** The schema as checked in under schemas/graphql/ (sorted, so diffs show real changes). */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
