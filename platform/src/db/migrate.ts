import pg from 'pg';
import Postgrator from 'postgrator';
import { OWNER_ROLE, SUBGRAPHS, appRole } from './roles.ts';

/**
 * Runs one subgraph's SQL migrations (`NNN.do.<name>.sql` in `dir`) as the owner role, recording
 * them in `<schema>.schema_migrations`. Migrations are SQL because what they declare — row-level
 * security policies, grants, triggers, ltree indexes — is SQL; Postgrator keeps order and
 * checksums. Each file runs as one implicit transaction (a multi-statement simple query).
 */
/** Where the platform's own migrations (the event stream) live. */
export const platformMigrationsDir = new URL('../events/migrations', import.meta.url).pathname;

export async function migrateSubgraph(adminUrl: string, schema: string, dir: string): Promise<{ from: number; to: number }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`SET ROLE "${OWNER_ROLE}"`);
    await client.query(`SET search_path = "${schema}", public`);
    // One migrator per schema at a time, even across processes.
    await client.query('select pg_advisory_lock(hashtext($1))', [`trellis-migrate:${schema}`]);
    const postgrator = new Postgrator({
      driver: 'pg',
      migrationPattern: `${dir}/*.sql`,
      schemaTable: `${schema}.schema_migrations`,
      execQuery: (query: string) => client.query(query),
    });
    const from = await postgrator.getDatabaseVersion();
    const applied = await postgrator.migrate();
    // The ledger is the owner's business: default privileges granted it to the service role.
    await client.query(`REVOKE ALL ON TABLE "${schema}".schema_migrations FROM PUBLIC, ${SUBGRAPHS.map((s) => `"${appRole(s)}"`).join(', ')}`);
    await client.query('select pg_advisory_unlock(hashtext($1))', [`trellis-migrate:${schema}`]);
    const to = applied.length ? Math.max(...applied.map((m) => m.version)) : from;
    return { from, to };
  } finally {
    await client.end();
  }
}
