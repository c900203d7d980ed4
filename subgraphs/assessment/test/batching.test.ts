import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { sqlCounter } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { seed, type SeedUnit } from '../src/seed.ts';

const NOW = new Date('2026-12-31T04:00:00Z');
let t: TestStack;
let token: string;
let communities: string[];
let campaignId: string;
beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  const tenantId = t.tenants.huangshi!.id;
  const { rows: units } = await t.db.query<SeedUnit>(
    `select id::text, parent_id::text as "parentId", kind, path::text, nlevel(path) as depth, name from organisation.org_unit where tenant_id = $1 order by nlevel(path), id`, [tenantId]);
  const client = new pg.Client({ connectionString: t.db.adminUrl });
  await client.connect();
  await seed({ client, tenantId, seed: 1, now: NOW, profile: 'demo', units, members: [], organisationSeq: 0, progress: () => {} });
  await client.end();
  communities = units.filter((u) => u.kind === 'COMMUNITY').map((u) => u.id);
  campaignId = (await t.db.query<{ id: string }>('select id::text from assessment.campaign where tenant_id = $1', [tenantId])).rows[0]!.id;
  token = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

async function statements(query: string, vars: Record<string, unknown>, check: (data: unknown) => void): Promise<number> {
  // Nothing kept from the previous call: the counts compare loads.
  await t.forgetCached('huangshi');
  const before = sqlCounter.total;
  const r = await gql(t.url, token, query, vars);
  expect(r.errors).toBeUndefined();
  check(r.data);
  return sqlCounter.total - before;
}

describe('no N+1 in the assessment subgraph', () => {
  it('results, progress and latest results of many units cost the same statements as of two', async () => {
    const q = `query($ids: [ID!]!) { orgUnits(ids: $ids) { id latestAssessmentResult { grade rankInStreet rankInDistrict payCoefficient amendments { reason } rectification { status }
      campaign { name template { version } } } assessmentProgress { targets byState { state count } gradeDistribution { grade count } } } }`;
    const run = (ids: string[]) => statements(q, { ids }, (d) => {
      const units = (d as { orgUnits: { latestAssessmentResult: { grade: string } | null }[] }).orgUnits;
      expect(units).toHaveLength(ids.length);
      expect(units.every((u) => u.latestAssessmentResult !== null)).toBe(true);
    });
    const two = await run(communities.slice(0, 2));
    const all = await run(communities);
    expect(communities.length).toBeGreaterThan(20);
    expect(all).toBe(two);
  });

  it('a campaign with every target and its scores, history, objections and result is a fixed number of statements', async () => {
    const q = `query($c: ID!) { assessmentCampaign(id: $c) { name targets { state unit { id } scores { points } evidence { title } history { action } objections { text }
      result { grade rankInDistrict amendments { score } rectification { dueOn } } } results { grade } } }`;
    const n = await statements(q, { c: campaignId }, (d) => {
      expect((d as { assessmentCampaign: { targets: unknown[] } }).assessmentCampaign.targets).toHaveLength(communities.length);
    });
    expect(n).toBeLessThan(20);
  });
});
