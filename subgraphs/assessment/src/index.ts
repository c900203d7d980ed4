import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { byIdLoader, loadSchema, notFound, requireScope, type SubgraphContext, type SubgraphDefinition } from '@trellis/platform';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

export const AssessmentCampaign = defineEntity({
  name: 'AssessmentCampaign',
  tableName: 'assessment.campaign',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    orgUnitId: p.uuid().fieldName('org_unit_id'),
    name: p.string(),
  },
});
export type AssessmentCampaign = InferEntity<typeof AssessmentCampaign>;

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const createLoaders = (em: SqlEntityManager) => ({
  byId: byIdLoader((ids) => em.find(AssessmentCampaign, { id: { $in: ids.filter(isUuid) } }), (r) => r.id),
});
type Loaders = ReturnType<typeof createLoaders>;
type Context = SubgraphContext<Loaders>;

/** The assessment subgraph (minimal: its main entity and a health check; the assessment issue fills it). */
export const assessmentSubgraph: SubgraphDefinition<Loaders> = {
  name: 'assessment',
  typeDefs,
  entities: [AssessmentCampaign],
  createLoaders,
  resolvers: {
    Query: {
      async assessmentRecord(_: unknown, args: { id: string }, ctx: Context) {
        requireScope(ctx.principal, 'assessment:read');
        const row = await ctx.loaders.byId.load(args.id);
        if (!row) throw notFound('AssessmentCampaign', args.id);
        return row;
      },
    },
    AssessmentCampaign: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.byId.load(ref.id),
      organisation: (r: AssessmentCampaign) => ({ __typename: 'OrgUnit', id: r.orgUnitId }),
    },
  } as unknown as SubgraphDefinition<Loaders>['resolvers'],
};
