import { loadSchema, type Subscription, type SubgraphDefinition } from '@trellis/platform';
import { entities } from './entities.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { unitPathSubscription } from './unitPath.ts';
import { servicePointsSubscription } from './domain/points.ts';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

/** The members subgraph: member records, categories and flags, the recruitment pipeline, statistics over the tree. */
export const membersSubgraph: SubgraphDefinition<Loaders> = {
  name: 'members',
  typeDefs,
  resolvers: resolvers as unknown as SubgraphDefinition<Loaders>['resolvers'],
  entities,
  createLoaders: (em, principal, now, cache) => createLoaders(em, principal, now, { cache }),
  // The unit-path copy follows the organisation topic of the event stream.
  // Well-rated services earn volunteers bonus points (services topic).
  subscriptions: [unitPathSubscription as unknown as Subscription, servicePointsSubscription as unknown as Subscription],
  // importMembers carries its file in the request (up to MAX_IMPORT_BYTES, JSON-escaped): room
  // for whatever the gateway admits (25,000,000 bytes) instead of the 2 MB other calls get.
  maxBodyBytes: 26_000_000,
};

export { applyUnitChanged, unitPathSubscription, ORGANISATION_TOPIC, UNIT_CHANGED, type UnitChangedEvent, type EventTarget } from './unitPath.ts';
export { Member } from './entities.ts';
