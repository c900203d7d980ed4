import { readFileSync } from 'node:fs';
import type { SubgraphDefinition } from '@trellis/platform';

/**
 * The product subgraphs by name, default port and contract, without loading their code. A
 * service process loads only its own subgraph (and the gateway only the contracts): every
 * subgraph's code plus the gateway's in each process held some 80 MB more resident memory each.
 */
export interface CatalogueEntry { name: string; defaultPort: number; packageName: string }

export const subgraphCatalogue: readonly CatalogueEntry[] = [
  { name: 'organisation', defaultPort: 4001, packageName: '@trellis/organisation' },
  { name: 'members', defaultPort: 4002, packageName: '@trellis/members' },
  { name: 'services', defaultPort: 4003, packageName: '@trellis/services' },
  { name: 'assessment', defaultPort: 4004, packageName: '@trellis/assessment' },
];

/** A subgraph's contract (its schema.graphql, next to the package's entry point), read from disk. */
export const sdlOf = (e: CatalogueEntry): string => readFileSync(new URL('./schema.graphql', import.meta.resolve(e.packageName)), 'utf8');

/** Loads one subgraph's code: its definition as the package exports it. */
export async function loadDefinition(e: CatalogueEntry): Promise<SubgraphDefinition<unknown>> {
  const mod = await import(e.packageName) as Record<string, unknown>;
  const definition = mod[`${e.name}Subgraph`] as SubgraphDefinition<unknown> | undefined;
  if (!definition) throw new Error(`${e.packageName} exports no ${e.name}Subgraph`);
  return definition;
}
