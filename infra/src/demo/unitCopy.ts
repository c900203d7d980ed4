// Replays a tenant's organisation events into one subgraph's copy of the unit tree (what that
// subgraph's event follower does continuously), so demo data can refer to units right after loading.
//
// This is infra tooling connecting as the administrative role: it may read the organisation topic.
// The subgraphs themselves never read another subgraph's data.
import type pg from 'pg';
import type { UnitCopy } from '@trellis/platform';

/** Applies the tenant's organisation events to a unit copy (idempotent); returns the events that changed it. */
export async function syncUnitCopy(client: pg.Client, tenantId: string, apply: UnitCopy['applyUnitChanged']): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    const { rows } = await client.query<{ seq: string; type: string; payload: Record<string, unknown> }>(
      `select seq::text, type, payload from events.stream where topic = 'organisation' and tenant_id = $1 order by seq`, [tenantId]);
    let applied = 0;
    for (const r of rows) if (await apply(client, { tenantId, seq: r.seq, type: r.type, payload: r.payload })) applied++;
    await client.query('COMMIT');
    return applied;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}
