import { loadSchema, type SubgraphDefinition } from '@trellis/platform';
import { entities } from './entities.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const { sdl, typeDefs } = loadSchema(new URL('./schema.graphql', import.meta.url));
export const migrationsDir = new URL('./migrations', import.meta.url).pathname;

/** The organisation subgraph: tenants, the typed tree with history, stationed units, big committees. */
export const organisationSubgraph: SubgraphDefinition<Loaders> = {
  name: 'organisation',
  typeDefs,
  resolvers: resolvers as unknown as SubgraphDefinition<Loaders>['resolvers'],
  entities,
  createLoaders: (em, principal, _now, cache) => createLoaders(em, principal, cache),
};

export { defaultKinds } from './domain/defaultKinds.ts';
