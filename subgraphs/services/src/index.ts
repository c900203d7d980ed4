import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { byIdLoader, loadSchema, notFound, requireScope, type SubgraphContext, type SubgraphDefinition } from '@trellis/platform';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

export const ServiceOrder = defineEntity({
  name: 'ServiceOrder',
  tableName: 'services.service_order',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    orgUnitId: p.uuid().fieldName('org_unit_id'),
    title: p.string(),
  },
});
export type ServiceOrder = InferEntity<typeof ServiceOrder>;

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const createLoaders = (em: SqlEntityManager) => ({
  byId: byIdLoader((ids) => em.find(ServiceOrder, { id: { $in: ids.filter(isUuid) } }), (r) => r.id),
});
type Loaders = ReturnType<typeof createLoaders>;
type Context = SubgraphContext<Loaders>;

/** The services subgraph (minimal: its main entity and a health check; the services issue fills it). */
export const servicesSubgraph: SubgraphDefinition<Loaders> = {
  name: 'services',
  typeDefs,
  entities: [ServiceOrder],
  createLoaders,
  resolvers: {
    Query: {
      async servicesRecord(_: unknown, args: { id: string }, ctx: Context) {
        requireScope(ctx.principal, 'services:read');
        const row = await ctx.loaders.byId.load(args.id);
        if (!row) throw notFound('ServiceOrder', args.id);
        return row;
      },
    },
    ServiceOrder: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.byId.load(ref.id),
      organisation: (r: ServiceOrder) => ({ __typename: 'OrgUnit', id: r.orgUnitId }),
    },
  } as unknown as SubgraphDefinition<Loaders>['resolvers'],
};
