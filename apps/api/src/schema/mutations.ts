import { DomainError } from '@concord/domain';
import { builder } from '../builder.ts';
import { ActRefusedError, type HumanAct, type RecordedAct } from '../human-acts.ts';
import { SignatureManifestation, SignatureMeaning } from './shared.ts';

const Refusal = builder.interfaceRef<Error & { code: string }>('Refusal').implement({
  description: 'Why an act was not recorded: a stable code and a sentence for people.',
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

builder.objectType(DomainError, {
  name: 'DomainRefusal',
  description: 'The domain refused the act (lifecycle, agreement, signature rules).',
  interfaces: [Refusal],
  isTypeOf: (value) => value instanceof DomainError,
  fields: () => ({}),
});

builder.objectType(ActRefusedError, {
  name: 'SignatureRefusal',
  description: 'The e-signature ceremony failed, or the subject is not yours to act on.',
  interfaces: [Refusal],
  isTypeOf: (value) => value instanceof ActRefusedError,
  fields: () => ({}),
});

const SignatureInputRef = builder.inputType('SignatureInput', {
  description:
    'An e-signature: your printed name as registered, what it means, why, and the credential you re-entered for it.',
  fields: (t) => ({
    printedName: t.string({ required: true }),
    meaning: t.field({ type: SignatureMeaning, required: true }),
    reason: t.string({ required: true }),
    credential: t.string({ required: true, description: 'A step-up token for e-signatures.' }),
  }),
});

const RecordedActRef = builder.objectRef<RecordedAct>('RecordedAct').implement({
  fields: (t) => ({
    eventId: t.exposeID('eventId'),
    streamId: t.exposeString('streamId'),
    position: t.string({ resolve: (act) => act.position.toString() }),
    signature: t.field({ type: SignatureManifestation, resolve: (act) => act.signature }),
  }),
});

const DispositionDecision = builder.enumType('DispositionDecision', {
  values: {
    RELEASED: { value: 'released' },
    REJECTED: { value: 'rejected' },
    QUARANTINED: { value: 'quarantined' },
    CONDITIONALLY_RELEASED: { value: 'conditionally-released' },
  } as const,
});

const actField = <Args extends object>(
  t: Parameters<Parameters<typeof builder.mutationFields>[0]>[0],
  description: string,
  args: Args,
  actOf: (args: Record<string, unknown>) => HumanAct,
) =>
  t.field({
    type: RecordedActRef,
    description,
    // Any member; a partner system is refused by the act itself (act.person-required), in the
    // result, rather than told to sign in.
    authScopes: { member: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: { ...args, signature: t.arg({ type: SignatureInputRef, required: true }) },
    resolve: (_root, input, context) =>
      context.acts.perform(context.caller!, actOf(input as Record<string, unknown>), {
        ...(input as { signature: typeof SignatureInputRef.$inferInput }).signature,
      }),
  });

builder.mutationFields((t) => ({
  approveCapa: actField(
    t,
    "Approve a deviation's CAPA (the sponsor's QA, under the agreement).",
    { deviationId: t.arg.id({ required: true }), capaId: t.arg.id({ required: true }) },
    (args) => ({
      kind: 'approve-capa',
      deviationId: String(args.deviationId),
      capaId: String(args.capaId),
    }),
  ),
  approveDeviationClosure: actField(
    t,
    'Approve the outcome of a deviation so it can be closed.',
    { deviationId: t.arg.id({ required: true }) },
    (args) => ({ kind: 'approve-deviation-closure', deviationId: String(args.deviationId) }),
  ),
  recordDisposition: actField(
    t,
    "Record QA's disposition of a batch.",
    {
      batchId: t.arg.id({ required: true }),
      decision: t.arg({ type: DispositionDecision, required: true }),
      conditions: t.arg.string({ required: false }),
    },
    (args) => ({
      kind: 'record-disposition',
      batchId: String(args.batchId),
      decision: args.decision as 'released',
      ...(typeof args.conditions === 'string' ? { conditions: args.conditions } : {}),
    }),
  ),
  certifyBatch: actField(
    t,
    "The Qualified Person's certification of a batch.",
    { batchId: t.arg.id({ required: true }), registerEntryId: t.arg.id({ required: true }) },
    (args) => ({
      kind: 'certify-batch',
      batchId: String(args.batchId),
      registerEntryId: String(args.registerEntryId),
    }),
  ),
}));
