import { readFileSync } from 'node:fs';
import { SUBGRAPHS, type SubgraphDefinition } from '@trellis/platform';

/**
 * The product subgraphs by name, default port and contract, without loading their code. A
 * service process loads only its own subgraph (and the gateway only the contracts): every
 * subgraph's code plus the gateway's in each process held some 80 MB more resident memory each.
 */
export interface CatalogueEntry { name: string; defaultPort: number; packageName: string }

/** The platform's subgraphs in composition order, each in package `@trellis/<name>`, on ports 4001 onwards. */
export const subgraphCatalogue: readonly CatalogueEntry[] = SUBGRAPHS.map((name, i) => ({ name, defaultPort: 4001 + i, packageName: `@trellis/${name}` }));

/** A subgraph's contract (its schema.graphql, next to the package's entry point), read from disk. */
export const sdlOf = (e: CatalogueEntry): string => readFileSync(new URL('./schema.graphql', import.meta.resolve(e.packageName)), 'utf8');

/** Loads one subgraph's code: its definition as the package exports it. */
export async function loadDefinition(e: CatalogueEntry): Promise<SubgraphDefinition<unknown>> {
  const mod = await import(e.packageName) as Record<string, unknown>;
  const definition = mod[`${e.name}Subgraph`] as SubgraphDefinition<unknown> | undefined;
  if (!definition) throw new Error(`${e.packageName} exports no ${e.name}Subgraph`);
  return definition;
}

/**
 * V8 heap limits of each service process (MB of old space). Uncapped, a service under load let
 * garbage pile up before collecting: the gateway reached 374 MB with 32 concurrent dashboards on
 * city-1m; capped at 160 MB it peaked at 228 MB, every subgraph under 160, for slightly more CPU.
 * Members keeps room for an import of up to 24 MB of ledger rows (160 MB ran out at 100,000 rows).
 */
const HEAP_MB: Record<string, number> = { gateway: 160, organisation: 160, members: 512, services: 160, assessment: 160 };

/** Node flags a service process is started with (`npm start`, the benchmark). */
export const serviceNodeFlags = (service: string): string[] => [`--max-old-space-size=${HEAP_MB[service] ?? 256}`, '--max-semi-space-size=8'];
