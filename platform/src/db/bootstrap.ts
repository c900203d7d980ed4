import pg from 'pg';
import { OWNER_ROLE, SUBGRAPHS, appRole } from './roles.ts';

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Cluster-level setup (idempotent): the owner role and one login role per subgraph.
 * Roles are shared by every database of the cluster.
 */
export async function bootstrapRoles(adminUrl: string, appPassword: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Serialise concurrent bootstraps (several test runners on one server).
    await client.query('select pg_advisory_lock(7710001)');
    const roles = [OWNER_ROLE, ...SUBGRAPHS.map(appRole)];
    for (const role of roles) {
      const exists = await client.query('select 1 from pg_roles where rolname = $1', [role]);
      const attrs = role === OWNER_ROLE
        ? 'NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB'
        : `LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD ${lit(appPassword)}`;
      await client.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${q(role)} ${attrs}`);
    }
    // The administrative login may switch to the owner to run migrations, and to a service
    // role to load data exactly as that service would write it (policies and triggers apply).
    for (const role of roles) await client.query(`GRANT ${q(role)} TO CURRENT_USER`);
    await client.query('select pg_advisory_unlock(7710001)');
  } finally {
    await client.end();
  }
}

/**
 * Database-level setup (idempotent): extensions, the `platform` schema with the tenancy
 * functions every policy uses, and one schema per subgraph owned by the owner role and usable
 * only by that subgraph's role.
 */
export async function bootstrapDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(7710002)');
    await client.query('CREATE EXTENSION IF NOT EXISTS ltree');
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await client.query(`GRANT CREATE ON DATABASE ${q((await client.query('select current_database() d')).rows[0].d)} TO ${q(OWNER_ROLE)}`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS platform AUTHORIZATION ${q(OWNER_ROLE)}`);
    await client.query(`SET ROLE ${q(OWNER_ROLE)}`);
    // Tenancy settings are set per transaction (set_config(..., true)); after commit they read
    // as '' on a pooled connection, hence nullif.
    await client.query(`
      CREATE OR REPLACE FUNCTION platform.current_tenant() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
      COMMENT ON FUNCTION platform.current_tenant() IS 'Tenant of the current transaction (set by the service from the verified principal); NULL = none, which matches no row.';
      CREATE OR REPLACE FUNCTION platform.scope_label() RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.scope_unit', true), '') $$;
      COMMENT ON FUNCTION platform.scope_label() IS 'ltree label (unit id without hyphens) of the unit whose subtree bounds the caller; NULL = whole tenant.';
      CREATE OR REPLACE FUNCTION platform.scope_query() RETURNS lquery
        LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT ('*.' || platform.scope_label() || '.*')::lquery $$;
      CREATE OR REPLACE FUNCTION platform.in_scope(p ltree) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT platform.scope_label() IS NULL OR p ~ platform.scope_query() $$;
      COMMENT ON FUNCTION platform.in_scope(ltree) IS 'True when an org path lies in the caller''s scope subtree (paths are ltrees of unit-id labels).';
      CREATE OR REPLACE FUNCTION platform.unit_label(id uuid) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT replace(id::text, '-', '') $$;
      -- Statement trigger (BEFORE, so the version row is the first lock a summary writer takes and
      -- writers of one tenant queue there instead of deadlocking on summary rows) for a subgraph's
      -- summary tables: bumps the tenant's summary version in the table named by the trigger's
      -- argument. Caches of figures computed from the summaries are keyed by it. A statement run
      -- without a tenant (administration) bumps every tenant it can see.
      CREATE OR REPLACE FUNCTION platform.bump_summary_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
      BEGIN
        IF platform.current_tenant() IS NOT NULL THEN
          EXECUTE format('INSERT INTO %s AS v (tenant_id, version) VALUES ($1, 1) ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1', TG_ARGV[0])
            USING platform.current_tenant();
        ELSE
          EXECUTE format('UPDATE %s SET version = version + 1', TG_ARGV[0]);
        END IF;
        RETURN NULL;
      END $$;
      -- For a subgraph's migration: its summary_version table (one row per tenant, under the same
      -- tenant policy as every table) and the bumping trigger on each of the given summary tables.
      CREATE OR REPLACE FUNCTION platform.track_summaries(p_schema text, p_tables text[]) RETURNS void
        LANGUAGE plpgsql AS $$
      DECLARE
        t text;
        versions text := format('%I.summary_version', p_schema);
      BEGIN
        EXECUTE format('CREATE TABLE IF NOT EXISTS %s (tenant_id uuid PRIMARY KEY DEFAULT platform.current_tenant(), version bigint NOT NULL)', versions);
        EXECUTE format('COMMENT ON TABLE %s IS %L', versions, 'Per tenant, a counter every statement that changes a summary table bumps: figures computed from the summaries are cached under it.');
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', versions);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', versions);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', versions);
        EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = platform.current_tenant())', versions);
        FOREACH t IN ARRAY p_tables LOOP
          EXECUTE format('DROP TRIGGER IF EXISTS bump_summary_version ON %I.%I', p_schema, t);
          EXECUTE format('CREATE TRIGGER bump_summary_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION platform.bump_summary_version(%L)', p_schema, t, versions);
        END LOOP;
      END $$;
    `);
    await client.query('RESET ROLE');
    await client.query(`GRANT USAGE ON SCHEMA platform TO ${SUBGRAPHS.map((s) => q(appRole(s))).join(', ')}`);
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA platform TO ${SUBGRAPHS.map((s) => q(appRole(s))).join(', ')}`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS events AUTHORIZATION ${q(OWNER_ROLE)}`);
    await client.query(`GRANT USAGE ON SCHEMA events TO ${SUBGRAPHS.map((s) => q(appRole(s))).join(', ')}`);
    for (const sg of SUBGRAPHS) {
      const role = q(appRole(sg));
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(sg)} AUTHORIZATION ${q(OWNER_ROLE)}`);
      await client.query(`GRANT USAGE ON SCHEMA ${q(sg)} TO ${role}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(OWNER_ROLE)} IN SCHEMA ${q(sg)} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(OWNER_ROLE)} IN SCHEMA ${q(sg)} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(OWNER_ROLE)} IN SCHEMA ${q(sg)} GRANT EXECUTE ON FUNCTIONS TO ${role}`);
    }
    await client.query('select pg_advisory_unlock(7710002)');
  } finally {
    await client.end();
  }
}
