import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { SUBGRAPHS, appRole } from '@trellis/platform';
import { createTestDatabase, type TestDatabase } from '@trellis/platform/testkit/index.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(() => db.drop());

describe('row-level security catalogue', () => {
  it('every table of every subgraph schema has row-level security enabled and forced, with at least one policy', async () => {
    const { rows } = await db.query<{ schema: string; table: string; enabled: boolean; forced: boolean; policies: number }>(
      `select n.nspname as schema, c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
              (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any($1) and c.relname <> 'schema_migrations'`, [[...SUBGRAPHS, 'events']]);
    expect(rows.length).toBeGreaterThanOrEqual(SUBGRAPHS.length);
    const weak = rows.filter((r) => !r.enabled || !r.forced || r.policies === 0).map((r) => `${r.schema}.${r.table}`);
    expect(weak).toEqual([]);
  });

  it("the migrations ledger is not readable or writable by the services' roles", async () => {
    const { rows } = await db.query<{ role: string; schema: string }>(
      `select r.rolname as role, n.nspname as schema from pg_roles r cross join pg_namespace n
        where r.rolname = any($1) and n.nspname = any($2) and has_table_privilege(r.oid, format('%I.schema_migrations', n.nspname), 'SELECT')`,
      [SUBGRAPHS.map(appRole), [...SUBGRAPHS, 'events']]);
    expect(rows).toEqual([]);
  });

  it("the services' roles own nothing and are neither superuser nor BYPASSRLS", async () => {
    const { rows } = await db.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; owned: number }>(
      `select r.rolname, r.rolsuper, r.rolbypassrls,
              (select count(*)::int from pg_class c where c.relowner = r.oid) + (select count(*)::int from pg_namespace n where n.nspowner = r.oid) as owned
         from pg_roles r where r.rolname = any($1)`, [SUBGRAPHS.map(appRole)]);
    expect(rows).toHaveLength(SUBGRAPHS.length);
    for (const r of rows) expect(r).toEqual({ rolname: r.rolname, rolsuper: false, rolbypassrls: false, owned: 0 });
  });

  it("a subgraph's role cannot read another subgraph's tables", async () => {
    const client = new pg.Client({ connectionString: db.appUrl('members') });
    await client.connect();
    try {
      await expect(client.query('select * from organisation.org_unit limit 1')).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });

  it('without a tenant setting a service role sees no rows at all', async () => {
    await db.query(`insert into organisation.tenant (id, slug, name, kind) values (gen_random_uuid(), 'probe', '探针市', 'CITY')`);
    const client = new pg.Client({ connectionString: db.appUrl('organisation') });
    await client.connect();
    try {
      expect((await client.query('select * from organisation.tenant')).rows).toEqual([]);
      await expect(client.query(`insert into organisation.tenant (slug, name, kind) values ('sneaky', '偷偷市', 'CITY')`)).rejects.toThrow(/row-level security/);
    } finally {
      await client.end();
    }
  });
});
