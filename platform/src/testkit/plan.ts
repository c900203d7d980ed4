import pg from 'pg';
import type { Principal } from '../auth/principal.ts';
import { sessionVariables } from '../server/context.ts';

/**
 * The plan of a read as a subgraph's role with the session a principal's request gets. The
 * planner settings in `off` are switched off (sequential scans, say): the question such a test
 * asks is whether an index can serve the read at all under the row policies (a condition
 * PostgreSQL counts as leaky, such as an ltree operator, cannot), not what the planner prefers on
 * demo data.
 */
export async function planAsRole(appUrl: string, principal: Principal, sql: string, params: unknown[], off: string[]): Promise<string> {
  const c = new pg.Client({ connectionString: appUrl });
  await c.connect();
  try {
    for (const [k, v] of Object.entries(sessionVariables(principal))) await c.query('select set_config($1, $2, false)', [k, v]);
    for (const o of off) await c.query(`set ${o} = off`);
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await c.end();
  }
}
