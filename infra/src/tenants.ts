import pg from 'pg';

/**
 * Looks a tenant (and optionally a unit by name) up for token issuing. Uses the tenant
 * setting trick in reverse: the slug → id lookup runs with each candidate id set, so it
 * works under forced row-level security too.
 */
export async function findTenant(adminUrl: string, slug: string): Promise<{ id: string; name: string } | undefined> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // The administrative role is expected to bypass RLS (superuser in development). A
    // non-bypassing role sees nothing here, and the caller is told so.
    const r = await client.query('select id, name from organisation.tenant where slug = $1', [slug]);
    return r.rows[0];
  } finally {
    await client.end();
  }
}

export async function findUnit(adminUrl: string, tenantId: string, nameOrId: string): Promise<{ id: string; name: string; kind: string } | undefined> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    const byId = /^[0-9a-f-]{36}$/i.test(nameOrId);
    const r = await client.query(
      `select id, name, kind from organisation.org_unit where ${byId ? 'id = $1::uuid' : 'name = $1'} order by depth limit 1`,
      [nameOrId],
    );
    await client.query('COMMIT');
    return r.rows[0];
  } finally {
    await client.end();
  }
}
