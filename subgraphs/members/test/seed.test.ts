// The bulk generator of this subgraph loads members and ledgers with row triggers off and builds
// the summaries once afterwards: the statistics served from them must equal a direct aggregate
// over the raw rows, for a tenant that already held members before the load.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { seed, type SeedUnit } from '../src/seed.ts';
import { NOW, TODAY } from './helpers.ts';
import { expectExact, viaApi } from './statistics.ts';

let t: TestStack;
let city: string;
const ROOT = '中共黄石市委';
const DISTRICT = '中共黄石市委/黄石港区';
const STREET = '中共黄石市委/黄石港区/黄石港街道';
const COMMUNITY = '中共黄石市委/黄石港区/黄石港街道/磁湖社区党总支';

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
  const tenantId = t.tenants.huangshi!.id;
  const { rows: units } = await t.db.query<SeedUnit>(
    `select unit_id::text as id, parent_id::text as "parentId", kind, path::text as path, nlevel(path) - 1 as depth, name
       from members.unit_path where tenant_id = $1 order by nlevel(path), unit_id`, [tenantId]);
  const { rows: [seq] } = await t.db.query<{ s: string }>(`select last_seq::text as s from events.counter where topic = 'organisation' and tenant_id = $1`, [tenantId]);
  const client = new pg.Client({ connectionString: t.db.adminUrl });
  await client.connect();
  try {
    await seed({ client, tenantId, seed: 5, now: NOW, profile: 'demo', units, members: [], organisationSeq: Number(seq!.s), progress: () => {}, memberCount: 3_000, regionCode: 110101 });
  } finally {
    await client.end();
  }
}, 120_000);
afterAll(() => t.close());

describe('members bulk seed', () => {
  it('leaves statistics equal to a direct aggregate over members, dues and payments', async () => {
    const root = await viaApi(t, city, t.unit('huangshi', ROOT));
    expect(root.total).toBeGreaterThan(2_800);
    await expectExact(t, city, [ROOT, DISTRICT, STREET, COMMUNITY].map((k) => t.unit('huangshi', k)), TODAY);
  });

  it('seeds this year’s dues with a realistic collection rate and every account priced by the brackets', async () => {
    const root = await viaApi(t, city, t.unit('huangshi', ROOT));
    expect(root.duesCollectionRate).toBeGreaterThan(0.9);
    expect(root.duesCollectionRate).toBeLessThan(0.98);
    const { rows: [a] } = await t.db.query<{ accounts: number; party: number; priced: number; fixed: number; late: number }>(
      `select count(*)::int as accounts,
              (select count(*)::int from members.member where tenant_id = $1 and stage in ('PROBATIONARY', 'FULL')) as party,
              count(*) filter (where basis = 'EMPLOYED' and monthly_amount = round(monthly_income * case when monthly_income > 10000 then 0.02
                 when monthly_income > 5000 then 0.015 when monthly_income > 3000 then 0.01 else 0.005 end, 2)
                 or basis = 'RETIRED' and monthly_amount = round(monthly_income * case when monthly_income > 5000 then 0.01 else 0.005 end, 2))::int as priced,
              count(*) filter (where basis = 'FIXED')::int as fixed,
              (select count(*)::int from members.dues_payment where tenant_id = $1 and paid_on > $2::date) as late
         from members.dues_account where tenant_id = $1`, [t.tenants.huangshi!.id, TODAY]);
    // Every Party member has an account; all but the fixed ¥0.20 ones follow the default brackets; none is paid in the future.
    expect(a!.accounts).toBe(a!.party);
    expect(a!.priced + a!.fixed).toBe(a!.accounts);
    expect(a!.fixed).toBeGreaterThan(0);
    expect(a!.late).toBe(0);
  });

  it('starts the year’s points at the baseline for every Party member not exempt', async () => {
    const { rows } = await t.db.query<{ id: string; exempt: boolean; baseline: number | null }>(
      `select m.id::text, m.categories && array['RETIRED', 'FLOATING_OUT'] as exempt, p.points as baseline
         from members.member m left join members.point_event p on p.member_id = m.id and p.year = 2026 and p.rule = 'BASELINE'
        where m.tenant_id = $1 and m.stage in ('PROBATIONARY', 'FULL') and m.id_card_masked like '1101%'`, [t.tenants.huangshi!.id]);
    expect(rows.length).toBeGreaterThan(2_000);
    for (const r of rows) expect(r.baseline).toBe(r.exempt ? null : 70);
    const member = rows.find((r) => !r.exempt)!;
    const api = await gql<{ member: { points: { balance: number; exempt: boolean } } }>(t.url, city, 'query($id: ID!) { member(id: $id) { points { balance exempt } } }', { id: member.id });
    expect(api.errors).toBeUndefined();
    expect(api.data!.member.points).toEqual({ balance: 70, exempt: false });
  });

  it('keeps the summaries exact when members change after the load (the triggers take over)', async () => {
    const { rows } = await t.db.query<{ id: string }>(
      `select id::text from members.member where tenant_id = $1 and stage = 'FULL' and id_card_masked like '1101%' and not categories && array['IN_SERVICE'] order by id limit 2`,
      [t.tenants.huangshi!.id]);
    for (const r of rows) {
      const u = await gql(t.url, city, 'mutation($id: ID!) { updateMember(id: $id, input: { categories: [RETIRED, HARDSHIP], flags: [LOST_CONTACT] }) { id } }', { id: r.id });
      expect(u.errors).toBeUndefined();
    }
    // Paying the rest of the year in advance: counted once each month is due.
    const pay = await gql(t.url, city, 'mutation($id: ID!) { recordDuesPayment(memberId: $id, input: { months: ["2026-11", "2026-12"], paidOn: "2026-06-15" }) { id } }', { id: rows[0]!.id });
    expect(pay.errors).toBeUndefined();
    await expectExact(t, city, [ROOT, DISTRICT].map((k) => t.unit('huangshi', k)), TODAY);
  });
});
