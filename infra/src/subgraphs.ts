import type { SubgraphDefinition } from '@trellis/platform';
import * as organisation from '@trellis/organisation';
import * as members from '@trellis/members';
import * as services from '@trellis/services';
import * as assessment from '@trellis/assessment';

export interface SubgraphModule { name: string; definition: SubgraphDefinition<unknown>; migrationsDir: string; sdl: string; defaultPort: number }

const entry = <L>(definition: SubgraphDefinition<L>, migrationsDir: string, sdl: string, defaultPort: number): SubgraphModule => ({
  name: definition.name,
  definition: definition as unknown as SubgraphDefinition<unknown>,
  migrationsDir,
  sdl,
  defaultPort,
});

/** Every product subgraph, in composition order, with its migrations and default port. */
export const subgraphModules: SubgraphModule[] = [
  entry(organisation.organisationSubgraph, organisation.migrationsDir, organisation.sdl, 4001),
  entry(members.membersSubgraph, members.migrationsDir, members.sdl, 4002),
  entry(services.servicesSubgraph, services.migrationsDir, services.sdl, 4003),
  entry(assessment.assessmentSubgraph, assessment.migrationsDir, assessment.sdl, 4004),
];
