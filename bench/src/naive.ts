// The dashboard computed the slow, obvious way — a recursive walk of the raw tree and a scan of
// the raw member rows, no summaries — straight in PostgreSQL. It is both the benchmark's baseline
// and the reference the platform's figures must equal.
import type pg from 'pg';

export interface UnitFigures { units: Record<string, number>; unitTotal: number; members: { total: number; probationary: number; full: number; byCategory: Record<string, number> } }
export interface DashboardFigures { districts: Record<string, UnitFigures>; drillDown: Record<string, UnitFigures> }

const NAIVE_SQL = `
with recursive tops as (
  select id, 'district' as part from organisation.org_unit where tenant_id = $1 and kind = 'DISTRICT' and status = 'ACTIVE'
  union all
  select id, 'drill' from organisation.org_unit where tenant_id = $1 and parent_id = $2 and kind = any($3::text[]) and status = 'ACTIVE'
),
sub(top, id, part) as (
  select t.id, t.id, t.part from tops t
  union all
  select s.top, u.id, s.part from sub s join organisation.org_unit u on u.parent_id = s.id and u.status = 'ACTIVE'
),
units as (
  select s.part, s.top, u.kind, count(*)::int as n from sub s join organisation.org_unit u on u.id = s.id where s.id <> s.top group by 1, 2, 3
),
people as materialized (
  select s.part, s.top, m.stage, m.categories from sub s join members.member m on m.tenant_id = $1 and m.org_unit_id = s.id
)
select part, top::text, 'unit' as dim, kind as key, n from units
union all select part, top::text, 'stage', stage, count(*)::int from people group by 1, 2, 4
union all select part, top::text, 'category', c, count(*)::int from people cross join unnest(categories) c where stage in ('PROBATIONARY', 'FULL') group by 1, 2, 4
union all select part, id::text, 'none', '', 0 from tops`;

/** The dashboard of `tenantId`, with the drill-down of `focusId` one level down (`kinds`), from raw rows. */
export async function naiveDashboard(client: pg.Client, tenantId: string, focusId: string, kinds: string[]): Promise<DashboardFigures> {
  const { rows } = await client.query<{ part: 'district' | 'drill'; top: string; dim: string; key: string; n: number }>(NAIVE_SQL, [tenantId, focusId, kinds]);
  const out: DashboardFigures = { districts: {}, drillDown: {} };
  for (const r of rows) {
    const bucket = r.part === 'district' ? out.districts : out.drillDown;
    const f = (bucket[r.top] ??= { units: {}, unitTotal: 0, members: { total: 0, probationary: 0, full: 0, byCategory: {} } });
    if (r.dim === 'unit') { f.units[r.key] = r.n; f.unitTotal += r.n; }
    if (r.dim === 'stage' && r.key === 'PROBATIONARY') { f.members.probationary = r.n; f.members.total += r.n; }
    if (r.dim === 'stage' && r.key === 'FULL') { f.members.full = r.n; f.members.total += r.n; }
    if (r.dim === 'category') f.members.byCategory[r.key] = r.n;
  }
  return out;
}

interface Stats { total: number; probationary: number; full: number; byCategory: { category: string; count: number }[] }
export interface DashboardData {
  unitCountsByDistrict: { total: number; counts: { kind: string; count: number }[]; district: { id: string; memberStatistics: Stats } }[];
  drillDown: { children: { id: string; unitCounts: { kind: string; count: number }[]; memberStatistics: Stats }[] };
}

/** The platform's answer to bench/operations/dashboard.graphql in the same shape as `naiveDashboard`. */
export function dashboardFigures(data: DashboardData): DashboardFigures {
  const members = (s: Stats) => ({ total: s.total, probationary: s.probationary, full: s.full, byCategory: Object.fromEntries(s.byCategory.map((c) => [c.category, c.count])) });
  const units = (counts: { kind: string; count: number }[]) => Object.fromEntries(counts.filter((c) => c.count > 0).map((c) => [c.kind, c.count]));
  const total = (counts: { kind: string; count: number }[]) => counts.reduce((s, c) => s + c.count, 0);
  return {
    districts: Object.fromEntries(data.unitCountsByDistrict.map((d) => [d.district.id, { units: units(d.counts), unitTotal: d.total, members: members(d.district.memberStatistics) }])),
    drillDown: Object.fromEntries(data.drillDown.children.map((c) => [c.id, { units: units(c.unitCounts), unitTotal: total(c.unitCounts), members: members(c.memberStatistics) }])),
  };
}
