// Replays the organisation subgraph's events into the assessment subgraph's unit-path copy (what
// the event transport does continuously), so demo tenants can be assessed right after loading.
//
// This is infra tooling connecting as the administrative role: it may read the organisation topic.
// The assessment subgraph itself never does.
import pg from 'pg';
import { applyUnitChanged } from '@trellis/assessment';
import type { LoadedTenant } from './load.ts';

export async function loadAssessmentDemo(adminUrl: string, tenants: LoadedTenant[]): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const out: Record<string, number> = {};
  try {
    for (const t of tenants) {
      await client.query('BEGIN');
      try {
        await client.query(`select set_config('app.tenant_id', $1, true)`, [t.id]);
        const { rows } = await client.query<{ seq: string; type: string; payload: Record<string, unknown> }>(
          `select seq::text, type, payload from events.stream where topic = 'organisation' and tenant_id = $1 order by seq`, [t.id]);
        let applied = 0;
        for (const r of rows) if (await applyUnitChanged(client, { tenantId: t.id, seq: r.seq, type: r.type, payload: r.payload })) applied++;
        await client.query('COMMIT');
        out[t.slug] = applied;
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await client.end();
  }
  return out;
}
