import { loadSchema, type Subscription, type SubgraphDefinition } from '@trellis/platform';
import { entities } from './entities.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { unitPathSubscription } from './unitPath.ts';
import { ESCALATION_INTERVAL_MS, escalateEverywhere } from './resolvers/orders.ts';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

/** The services subgraph: the demand, resource and project lists, the order and micro-wish flows, matching, rollups. */
export const servicesSubgraph: SubgraphDefinition<Loaders> = {
  name: 'services',
  typeDefs,
  resolvers: resolvers as unknown as SubgraphDefinition<Loaders>['resolvers'],
  entities,
  createLoaders: (em, principal, now, cache) => createLoaders(em, principal, now, { cache }),
  // The unit-path copy follows the organisation topic of the event stream.
  subscriptions: [unitPathSubscription as unknown as Subscription],
  // Deadlines are checked on a timer in production; tests call the same job with their clock.
  timers: [{ name: 'escalate-overdue-orders', intervalMs: ESCALATION_INTERVAL_MS, run: (orm, now) => escalateEverywhere(orm, now) }],
};

export { applyUnitChanged, unitPathSubscription, ORGANISATION_TOPIC, UNIT_CHANGED, type UnitChangedEvent } from './unitPath.ts';
export { ServiceOrder } from './entities.ts';
export { ESCALATION_BATCH, escalateBatch, escalateEverywhere } from './resolvers/orders.ts';
export { DEFAULT_CATALOGUE, flattenCatalogue } from './domain/catalogue.ts';
