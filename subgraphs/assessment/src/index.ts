import { defineEntity, p } from '@mikro-orm/core';
import { loadSchema, type Subscription, type SubgraphDefinition } from '@trellis/platform';
import { createLoaders, type Loaders } from './loaders.ts';
import { unavailableMetricSource, type MetricSource } from './metrics.ts';
import { resolvers } from './resolvers/index.ts';
import { unitPathSubscription } from './unitPath.ts';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

/**
 * The campaign table as an entity (identity fields only). Reads and writes go through raw SQL in
 * loaders.ts and resolvers/ (ltree, jsonb, row locks); DDL, policies and triggers live in migrations/.
 */
export const AssessmentCampaign = defineEntity({
  name: 'AssessmentCampaign',
  tableName: 'assessment.campaign',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    name: p.string(),
  },
});

/**
 * The assessment subgraph: templates, campaigns and the tiered review, results for payroll and
 * dashboards. `metrics` reads the figures computed indicators score from (through the gateway).
 */
export function createAssessmentSubgraph(opts: { metrics: MetricSource }): SubgraphDefinition<Loaders> {
  return {
    name: 'assessment',
    typeDefs,
    resolvers: resolvers as unknown as SubgraphDefinition<Loaders>['resolvers'],
    entities: [AssessmentCampaign],
    createLoaders: (em, principal, now, cache) => createLoaders(em, opts.metrics, now, principal, cache),
    // The unit-path copy follows the organisation topic of the event stream.
    subscriptions: [unitPathSubscription as unknown as Subscription],
  };
}

/** Without a metric source: templates with computed indicators are refused (services are started with the gateway source, infra/src/assessmentFigures.ts). */
export const assessmentSubgraph = createAssessmentSubgraph({ metrics: unavailableMetricSource });

export { applyUnitChanged, unitPathSubscription } from './unitPath.ts';
export { gatewayMetricSource, METRIC_KEYS, type MetricKey, type MetricSource } from './metrics.ts';
