import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { byIdLoader, loadSchema, notFound, requireScope, type SubgraphContext, type SubgraphDefinition } from '@trellis/platform';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

export const Member = defineEntity({
  name: 'Member',
  tableName: 'members.member',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    orgUnitId: p.uuid().fieldName('org_unit_id'),
    name: p.string(),
  },
});
export type Member = InferEntity<typeof Member>;

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const createLoaders = (em: SqlEntityManager) => ({
  byId: byIdLoader((ids) => em.find(Member, { id: { $in: ids.filter(isUuid) } }), (r) => r.id),
});
type Loaders = ReturnType<typeof createLoaders>;
type Context = SubgraphContext<Loaders>;

/** The members subgraph (minimal: its main entity and a health check; the members issue fills it). */
export const membersSubgraph: SubgraphDefinition<Loaders> = {
  name: 'members',
  typeDefs,
  entities: [Member],
  createLoaders,
  resolvers: {
    Query: {
      async membersRecord(_: unknown, args: { id: string }, ctx: Context) {
        requireScope(ctx.principal, 'members:read');
        const row = await ctx.loaders.byId.load(args.id);
        if (!row) throw notFound('Member', args.id);
        return row;
      },
    },
    Member: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.byId.load(ref.id),
      organisation: (r: Member) => ({ __typename: 'OrgUnit', id: r.orgUnitId }),
    },
  } as unknown as SubgraphDefinition<Loaders>['resolvers'],
};
