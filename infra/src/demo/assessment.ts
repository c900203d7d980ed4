// Fills the assessment subgraph's unit-tree copy for the demo tenants, so they can be assessed
// right after loading.
import pg from 'pg';
import { applyUnitChanged } from '@trellis/assessment';
import type { LoadedTenant } from './load.ts';
import { syncUnitCopy } from './unitCopy.ts';

export async function loadAssessmentDemo(adminUrl: string, tenants: LoadedTenant[]): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const out: Record<string, number> = {};
  try {
    for (const t of tenants) out[t.slug] = await syncUnitCopy(client, t.id, applyUnitChanged);
  } finally {
    await client.end();
  }
  return out;
}
