import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

export interface SubgraphSource { name: string; url: string; sdl: string }

/** The four product subgraphs, in composition order. Integrators' subgraphs are appended at deploy time. */
export const productSubgraphs = ['organisation', 'members', 'services', 'assessment'] as const;

/** A subgraph's contract, read from its package (`subgraphs/<name>/src/schema.graphql`). */
export function readSubgraphSdl(name: string): string {
  return readFileSync(new URL(`../../subgraphs/${name}/src/schema.graphql`, import.meta.url), "utf8");
}

export class CompositionError extends Error {
  readonly errors: readonly Error[];
  constructor(errors: readonly Error[]) {
    super(`The supergraph does not compose:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`);
    this.errors = errors;
  }
}

/**
 * Composes the supergraph in-process (MIT `@theguild/federation-composition`). The gateway
 * serves exactly what this returns, and the composition test calls the same function.
 */
export function composeSupergraph(subgraphs: SubgraphSource[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors?.length) throw new CompositionError(result.errors);
  if (!result.supergraphSdl) throw new CompositionError([new Error('composition produced no supergraph')]);
  return result.supergraphSdl;
}
