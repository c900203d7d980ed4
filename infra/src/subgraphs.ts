import type { SubgraphDefinition } from '@trellis/platform';
import * as organisation from '@trellis/organisation';
import * as members from '@trellis/members';
import * as services from '@trellis/services';
import * as assessment from '@trellis/assessment';
import { subgraphCatalogue } from './catalogue.ts';

export interface SubgraphModule { name: string; definition: SubgraphDefinition<unknown>; migrationsDir: string; sdl: string; defaultPort: number }

const entry = <L>(definition: SubgraphDefinition<L>, migrationsDir: string, sdl: string): SubgraphModule => ({
  name: definition.name,
  definition: definition as unknown as SubgraphDefinition<unknown>,
  migrationsDir,
  sdl,
  defaultPort: subgraphCatalogue.find((c) => c.name === definition.name)!.defaultPort,
});

/**
 * Every product subgraph with its code loaded, in composition order, with its migrations and
 * default port: for whatever runs them all in one process (migrations, the test stack). A service
 * process loads only its own (catalogue.ts).
 */
export const subgraphModules: SubgraphModule[] = [
  entry(organisation.organisationSubgraph, organisation.migrationsDir, organisation.sdl),
  entry(members.membersSubgraph, members.migrationsDir, members.sdl),
  entry(services.servicesSubgraph, services.migrationsDir, services.sdl),
  entry(assessment.assessmentSubgraph, assessment.migrationsDir, assessment.sdl),
];
