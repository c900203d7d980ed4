import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { planCampaign, seed, type SeedUnit } from '../src/seed.ts';

const NOW = new Date('2026-12-31T04:00:00Z');
let t: TestStack;
let units: SeedUnit[];
beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  const { rows } = await t.db.query<SeedUnit>(
    `select id::text, parent_id::text as "parentId", kind, path::text, nlevel(path) as depth, name from organisation.org_unit where tenant_id = $1 order by nlevel(path), id`,
    [t.tenants.haiyang!.id]);
  units = rows;
});
afterAll(() => t.close());

describe('assessment bulk seed', () => {
  it('plans the same campaign for the same seed', () => {
    expect(planCampaign(units, 7)).toEqual(planCampaign(units, 7));
    expect(planCampaign(units, 7).targets.map((x) => x.score)).not.toEqual(planCampaign(units, 8).targets.map((x) => x.score));
  });

  it('writes a finished campaign for every community of the tenant, grades within quotas, readable through the gateway', async () => {
    const client = new pg.Client({ connectionString: t.db.adminUrl });
    await client.connect();
    let written = 0;
    try {
      const seq = (await client.query<{ s: string }>(`select coalesce(max(seq), 0)::text as s from events.stream where topic = 'organisation' and tenant_id = $1`, [t.tenants.haiyang!.id])).rows[0]!.s;
      await seed({ client, tenantId: t.tenants.haiyang!.id, seed: 42, now: NOW, profile: 'demo', units, members: [], organisationSeq: Number(seq), progress: (n) => { written += n; } });
    } finally {
      await client.end();
    }
    expect(written).toBeGreaterThan(0);
    const communities = units.filter((u) => u.kind === 'COMMUNITY').length;
    const { rows } = await t.db.query<{ decider: string; n: number; five: number; rect: number; low: number }>(
      `select r.decider_id::text as decider, count(*)::int n, count(*) filter (where grade = 'FIVE_STAR')::int five,
              count(x.id)::int rect, count(*) filter (where grade = 'ONE_STAR')::int low
         from assessment.result r left join assessment.rectification x on x.target_id = r.target_id where r.tenant_id = $1 group by 1`, [t.tenants.haiyang!.id]);
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(communities);
    for (const r of rows) {
      expect(r.five).toBeLessThanOrEqual(Math.floor(r.n * 0.1));
      expect(r.rect).toBe(r.low);
    }
    // The progress summary the seed's inserts maintained equals a direct count of the targets.
    const drift = await t.db.query(
      `with d as (select campaign_id, street_id, state, coalesce(final_grade, '') as grade, count(*)::int as n from assessment.target where tenant_id = $1 group by 1, 2, 3, 4),
            s as (select campaign_id, street_id, state, grade, count as n from assessment.progress_summary where tenant_id = $1 and count <> 0)
       select * from d full join s using (campaign_id, street_id, state, grade) where d.n is distinct from s.n`, [t.tenants.haiyang!.id]);
    expect(drift.rows).toEqual([]);
    const token = await t.token('haiyang', 'CITY_ADMIN');
    const root = units.find((u) => u.parentId === null)!;
    const p = await gql<{ orgUnit: { assessmentProgress: { targets: number; byState: { state: string; count: number }[]; gradeDistribution: { count: number }[] } } }>(t.url, token,
      'query($id: ID!) { orgUnit(id: $id) { assessmentProgress { targets byState { state count } gradeDistribution { count } } } }', { id: root.id });
    expect(p.errors).toBeUndefined();
    expect(p.data!.orgUnit.assessmentProgress.targets).toBe(communities);
    expect(p.data!.orgUnit.assessmentProgress.byState.find((s) => s.state === 'FINAL')!.count).toBe(communities);
    expect(p.data!.orgUnit.assessmentProgress.gradeDistribution.reduce((s, g) => s + g.count, 0)).toBe(communities);
  });
});
