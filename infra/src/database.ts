import { bootstrapDatabase, bootstrapRoles, migrateSubgraph, platformMigrationsDir } from '@trellis/platform';
import { subgraphModules } from './subgraphs.ts';

/** Roles, schemas and every subgraph's migrations, in order. Idempotent. */
export async function prepareDatabase(adminUrl: string, appPassword: string, log?: (m: string) => void): Promise<void> {
  await bootstrapRoles(adminUrl, appPassword);
  await bootstrapDatabase(adminUrl);
  await migrateSubgraph(adminUrl, 'events', platformMigrationsDir);
  for (const m of subgraphModules) {
    const { from, to } = await migrateSubgraph(adminUrl, m.name, m.migrationsDir);
    log?.(`${m.name}: schema version ${from} → ${to}`);
  }
}
