import { builder } from '../builder.ts';
import { organizationOf } from '../context.ts';

builder.prismaNode('Organization', {
  id: { field: 'id' },
  nullable: true,
  description: 'A sponsor, CDMO or testing laboratory: yourself, or a partner under an agreement.',
  fields: (t) => ({
    organizationId: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.exposeString('kind'),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    description: 'Who is asking: the caller and their organization.',
    authScopes: { member: true },
    type: builder
      .objectRef<{ id: string; kind: string; roles: string[]; org: string }>('Viewer')
      .implement({
        fields: (v) => ({
          id: v.exposeID('id', { description: 'The person or partner system.' }),
          kind: v.exposeString('kind'),
          roles: v.exposeStringList('roles'),
          organization: v.prismaField({
            type: 'Organization',
            nullable: true,
            resolve: (query, viewer, _args, context) =>
              context.db.organization.findUnique({ ...query, where: { id: viewer.org } }),
          }),
        }),
      }),
    resolve: (_root, _args, context) => {
      const caller = context.caller!;
      return {
        id: caller.kind === 'person' ? caller.personId : caller.systemId,
        kind: caller.kind,
        roles: caller.roles,
        org: organizationOf(context),
      };
    },
  }),
  partners: t.prismaField({
    description: 'The organizations you work with under a quality agreement.',
    authScopes: { member: true },
    type: ['Organization'],
    resolve: (query, _root, _args, context) =>
      context.db.organization.findMany({
        ...query,
        where: { id: { not: organizationOf(context) } },
        orderBy: { id: 'asc' },
      }),
  }),
}));
