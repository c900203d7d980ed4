import pg from 'pg';
import { isUuid } from '@trellis/platform';

/**
 * Looks a tenant up by slug for token issuing. Tenants are isolated from each other, so this
 * needs the administrative role (which bypasses row-level security in development).
 */
export async function findTenant(adminUrl: string, slug: string): Promise<{ id: string; name: string } | undefined> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
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
    const byId = isUuid(nameOrId);
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
