import { builder } from '../builder.ts';
import { asSignature, SignatureManifestation } from './shared.ts';

builder.prismaNode('TimelineEntry', {
  id: { field: 'eventId' },
  nullable: true,
  description: 'One recorded event: who (person, organization, role), what, when and why.',
  fields: (t) => ({
    eventId: t.exposeID('eventId'),
    position: t.string({ resolve: (e) => e.position.toString() }),
    type: t.exposeString('type'),
    summary: t.exposeString('summary'),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When it happened.' }),
    recordedAt: t.expose('recordedAt', {
      type: 'DateTime',
      description: 'When Concord recorded it.',
    }),
    actorId: t.exposeID('actorId'),
    actorName: t.exposeString('actorName', { nullable: true }),
    actorOrganizationId: t.exposeID('actorOrganizationId'),
    actorRole: t.exposeString('actorRole', { nullable: true }),
    reason: t.exposeString('reason', { nullable: true }),
    data: t.expose('data', { type: 'JSON', description: 'The event as recorded.' }),
    correctedData: t.expose('correctedData', {
      type: 'JSON',
      nullable: true,
      description: 'The data with every later correction applied (null: never corrected).',
    }),
    corrected: t.boolean({ resolve: (e) => e.correctedByEventIds.length > 0 }),
    correctedByEventIds: t.exposeStringList('correctedByEventIds'),
    correctsEventId: t.exposeString('correctsEventId', { nullable: true }),
    eSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      resolve: (e) => asSignature(e.eSignature),
    }),
    partnerSignatureKeyId: t.exposeString('partnerSignatureKeyId', {
      nullable: true,
      description: 'The partner key whose Ed25519 signature came with the event.',
    }),
    batch: t.relation('batch', { nullable: true }),
    deviation: t.relation('deviation', { nullable: true }),
  }),
});
