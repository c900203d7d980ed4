import type { SubgraphDefinition } from '@trellis/platform';
import * as organisation from '@trellis/organisation';
import * as members from '@trellis/members';
import * as services from '@trellis/services';
import * as assessment from '@trellis/assessment';

export interface SubgraphModule { name: string; definition: SubgraphDefinition<unknown>; migrationsDir: string; sdl: string; defaultPort: number }

const entry = (definition: SubgraphDefinition<never>, migrationsDir: string, sdl: string, defaultPort: number): SubgraphModule => ({
  name: definition.name,
  definition: definition as unknown as SubgraphDefinition<unknown>,
  migrationsDir,
  sdl,
  defaultPort,
});

/** Every product subgraph, in composition order, with its migrations and default port. */
export const subgraphModules: SubgraphModule[] = [
  entry(organisation.organisationSubgraph as SubgraphDefinition<never>, organisation.migrationsDir, organisation.sdl, 4001),
  entry(members.membersSubgraph as SubgraphDefinition<never>, members.migrationsDir, members.sdl, 4002),
  entry(services.servicesSubgraph as SubgraphDefinition<never>, services.migrationsDir, services.sdl, 4003),
  entry(assessment.assessmentSubgraph as SubgraphDefinition<never>, assessment.migrationsDir, assessment.sdl, 4004),
];
