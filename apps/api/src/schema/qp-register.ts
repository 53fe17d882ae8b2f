import { QP_REGISTER_ORDER, qpRegisterWhere } from '@concord/read-model';
import { builder } from '../builder.ts';
import { partyOf } from '../context.ts';
import { organizationById } from '../loaders.ts';
import { asSignature, DateRange, SignatureManifestation } from './shared.ts';

const QualifiedPerson = builder
  .objectRef<{ personId: string; printedName: string }>('QualifiedPerson')
  .implement({
    description: 'The Qualified Person who certified, as the signature names them.',
    fields: (t) => ({
      personId: t.exposeID('personId'),
      printedName: t.exposeString('printedName'),
    }),
  });

const QpRegisterEntry = builder.prismaObject('Batch', {
  variant: 'QpRegisterEntry',
  description:
    'One entry of the QP register (EU GMP Annex 16): a batch certified by a Qualified Person.',
  fields: (t) => ({
    registerEntryId: t.string({ resolve: (b) => b.registerEntryId ?? '' }),
    certifiedAt: t.field({ type: 'DateTime', resolve: (b) => b.certifiedAt ?? b.lastChangedAt }),
    qualifiedPerson: t.field({
      type: QualifiedPerson,
      nullable: true,
      resolve: (b) => {
        const signature = asSignature(b.certificationSignature);
        return signature
          ? { personId: signature.signerId, printedName: signature.printedName }
          : null;
      },
    }),
    signature: t.field({
      type: SignatureManifestation,
      nullable: true,
      resolve: (b) => asSignature(b.certificationSignature),
    }),
    batchId: t.exposeID('id'),
    batchNumber: t.exposeString('batchNumber'),
    productId: t.exposeID('productId'),
    productName: t.exposeString('productName', { nullable: true }),
    site: t.exposeString('site'),
    sponsor: t.prismaField({
      type: 'Organization',
      nullable: true,
      resolve: (_query, batch, _args, context) => organizationById(context, batch.sponsorId),
    }),
    cdmo: t.prismaField({
      type: 'Organization',
      nullable: true,
      resolve: (_query, batch, _args, context) => organizationById(context, batch.cdmoId),
    }),
    batch: t.variant('Batch', { description: 'The certified batch itself.' }),
  }),
});

const QpRegisterFilter = builder.inputType('QpRegisterFilter', {
  fields: (t) => ({
    qualifiedPerson: t.id({
      required: false,
      description: 'Only the certifications this person signed (their person id).',
    }),
    productId: t.id({ required: false }),
    certified: t.field({
      type: DateRange,
      required: false,
      description: 'Only the certifications signed in this period.',
    }),
  }),
});

builder.queryFields((t) => ({
  qpRegister: t.prismaConnection({
    type: QpRegisterEntry,
    cursor: 'id',
    authScopes: { member: true },
    description:
      'The register of QP certifications of your partnerships (EU GMP Annex 16), newest first: per Qualified Person and per product with the filter. As a file: GET /registers/qp?format=csv|json.',
    args: { filter: t.arg({ type: QpRegisterFilter, required: false }) },
    totalCount: (_connection, args, context) =>
      context.db.batch.count({
        where: { AND: [partyOf(context), qpRegisterWhere(registerFilter(args.filter))] },
      }),
    resolve: (query, _root, args, context) =>
      context.db.batch.findMany({
        ...query,
        where: { AND: [partyOf(context), qpRegisterWhere(registerFilter(args.filter))] },
        orderBy: QP_REGISTER_ORDER,
      }),
  }),
}));

function registerFilter(filter: typeof QpRegisterFilter.$inferInput | null | undefined) {
  if (!filter) return undefined;
  return {
    qualifiedPerson: filter.qualifiedPerson == null ? null : String(filter.qualifiedPerson),
    productId: filter.productId == null ? null : String(filter.productId),
    certified: filter.certified ?? null,
  };
}
