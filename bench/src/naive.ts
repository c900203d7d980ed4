// The dashboard computed the slow, obvious way — a recursive walk of the raw organisation tree and
// scans of the raw member, dues, order, wish and assessment rows, no summaries — straight in
// PostgreSQL. It is both the benchmark's baseline and the reference every figure the platform
// shows must equal.
import type pg from 'pg';
import { localDate } from '@trellis/members/domain/age.ts';

export interface MemberFigures { total: number; probationary: number; full: number; byCategory: Record<string, number>; duesCollectionRate: number | null; inServiceReportedIn: number }
export interface ServiceFigures { ordersByState: Record<string, number>; closureRate: number | null; onTimeRate: number | null; averageSatisfaction: number | null; overdue: number; wishesFulfilled: number }
export interface ProgressFigures { campaignId: string; targets: number; byState: Record<string, { count: number; overdue: number }>; gradeDistribution: Record<string, number> }
export interface UnitFigures { units: Record<string, number>; unitTotal: number; members: MemberFigures; services: ServiceFigures; assessment: ProgressFigures | null }
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
  select s.part, s.top, m.id, m.stage, m.categories from sub s
    join members.member m on m.tenant_id = $1 and m.org_unit_id = s.id and m.membership_status = 'ACTIVE'
),
month as (select extract(year from $4::date)::int * 12 + extract(month from $4::date)::int - 1 as now_i, date_trunc('year', $4::date)::date as jan, date_trunc('month', $4::date)::date as cur),
dues as (
  select s.part, s.top, sum(greatest(0, mo.now_i - greatest(extract(year from a.from_month)::int * 12 + extract(month from a.from_month)::int - 1, mo.now_i - extract(month from mo.cur)::int + 1) + 1))::bigint as due
    from sub s cross join month mo
    join members.member m on m.tenant_id = $1 and m.org_unit_id = s.id
    join members.dues_account a on a.tenant_id = $1 and a.member_id = m.id and a.monthly_amount > 0
   group by 1, 2
),
paid as (
  select s.part, s.top, count(*)::bigint as n
    from sub s cross join month mo
    join members.member m on m.tenant_id = $1 and m.org_unit_id = s.id
    join members.dues_payment p on p.tenant_id = $1 and p.member_id = m.id and p.month >= mo.jan and p.month <= mo.cur
   group by 1, 2
),
reported as (
  select s.part, s.top, count(*)::int as n from sub s
    join members.member m on m.tenant_id = $1 and m.reported_in_community = s.id
   where m.stage in ('PROBATIONARY', 'FULL') and 'IN_SERVICE' = any(m.categories) and m.membership_status = 'ACTIVE'
   group by 1, 2
),
orders as materialized (
  select s.part, s.top, o.state, o.done_at <= o.completion_due as on_time, o.rating, o.overdue from sub s
    join services.service_order o on o.tenant_id = $1 and o.unit_id = s.id
),
wishes as (
  select s.part, s.top, count(*)::int as n from sub s
    join services.micro_wish w on w.tenant_id = $1 and w.unit_id = s.id
   where w.state in ('FULFILLED', 'CONFIRMED', 'ARCHIVED')
   group by 1, 2
),
targets as materialized (
  select s.part, s.top, t.campaign_id, c.opened_at, t.state, t.final_grade,
         case t.state when 'SELF_ASSESSMENT' then c.self_assessment_due when 'STREET_REVIEW' then c.street_review_due
                      when 'DISTRICT_REVIEW' then c.district_review_due end < $5::timestamptz as late
    from sub s
    join assessment.target t on t.tenant_id = $1 and t.unit_id = s.id
    join assessment.campaign c on c.id = t.campaign_id
),
latest as (select distinct on (part, top) part, top, campaign_id from targets order by part, top, opened_at desc, campaign_id),
campaign_targets as materialized (select t.* from targets t join latest l on l.part = t.part and l.top = t.top and l.campaign_id = t.campaign_id)
select part, top::text, 'unit' as dim, kind as key, n::float8 from units
union all select part, top::text, 'stage', stage, count(*)::float8 from people group by 1, 2, 4
union all select part, top::text, 'category', c, count(*)::float8 from people cross join unnest(categories) c where stage in ('PROBATIONARY', 'FULL') group by 1, 2, 4
union all select part, top::text, 'duesDue', '', due::float8 from dues
union all select part, top::text, 'duesPaid', '', n::float8 from paid
union all select part, top::text, 'reportedIn', '', n::float8 from reported
union all select part, top::text, 'order', state, count(*)::float8 from orders group by 1, 2, 4
union all select part, top::text, 'closed', '', count(*)::float8 from orders where state = 'CLOSED' group by 1, 2
union all select part, top::text, 'closedOnTime', '', count(*)::float8 from orders where state = 'CLOSED' and on_time group by 1, 2
union all select part, top::text, 'ratingSum', '', sum(rating)::float8 from orders where state = 'CLOSED' group by 1, 2
union all select part, top::text, 'overdue', '', count(*)::float8 from orders where overdue and state not in ('DONE', 'CLOSED', 'CANCELLED') group by 1, 2
union all select part, top::text, 'wishesFulfilled', '', n::float8 from wishes
union all select part, top::text, 'campaign', campaign_id::text, 0 from latest
union all select part, top::text, 'target', state, count(*)::float8 from campaign_targets group by 1, 2, 4
union all select part, top::text, 'targetLate', state, count(*)::float8 from campaign_targets where late group by 1, 2, 4
union all select part, top::text, 'grade', final_grade, count(*)::float8 from campaign_targets where final_grade is not null group by 1, 2, 4
union all select part, id::text, 'none', '', 0 from tops`;

const emptyFigures = (): UnitFigures => ({
  units: {}, unitTotal: 0,
  members: { total: 0, probationary: 0, full: 0, byCategory: {}, duesCollectionRate: null, inServiceReportedIn: 0 },
  services: { ordersByState: {}, closureRate: null, onTimeRate: null, averageSatisfaction: null, overdue: 0, wishesFulfilled: 0 },
  assessment: null,
});

/**
 * The dashboard of `tenantId` as of `now`, with the drill-down of `focusId` one level down
 * (`kinds`), from raw rows. Ratios are divided here exactly as the platform divides its counts,
 * so equal counts give bit-equal figures.
 */
export async function naiveDashboard(client: pg.Client, tenantId: string, focusId: string, kinds: string[], now: Date = new Date()): Promise<DashboardFigures> {
  const { rows } = await client.query<{ part: 'district' | 'drill'; top: string; dim: string; key: string; n: number }>(
    NAIVE_SQL, [tenantId, focusId, kinds, localDate(now), now.toISOString()]);
  const out: DashboardFigures = { districts: {}, drillDown: {} };
  const raw = new Map<UnitFigures, Record<string, number>>();
  for (const r of rows) {
    const bucket = r.part === 'district' ? out.districts : out.drillDown;
    const f = (bucket[r.top] ??= emptyFigures());
    const x = raw.get(f) ?? {};
    raw.set(f, x);
    const stage = (k: 'probationary' | 'full') => { f.members[k] = r.n; f.members.total += r.n; };
    const progress = () => (f.assessment ??= { campaignId: '', targets: 0, byState: {}, gradeDistribution: {} });
    switch (r.dim) {
      case 'unit': f.units[r.key] = r.n; f.unitTotal += r.n; break;
      case 'stage': if (r.key === 'PROBATIONARY') stage('probationary'); else if (r.key === 'FULL') stage('full'); break;
      case 'category': f.members.byCategory[r.key] = r.n; break;
      case 'reportedIn': f.members.inServiceReportedIn = r.n; break;
      case 'order': f.services.ordersByState[r.key] = r.n; break;
      case 'overdue': f.services.overdue = r.n; break;
      case 'wishesFulfilled': f.services.wishesFulfilled = r.n; break;
      case 'campaign': progress().campaignId = r.key; break;
      case 'target': { const p = progress(); p.targets += r.n; (p.byState[r.key] ??= { count: 0, overdue: 0 }).count = r.n; break; }
      case 'targetLate': (progress().byState[r.key] ??= { count: 0, overdue: 0 }).overdue = r.n; break;
      case 'grade': progress().gradeDistribution[r.key] = r.n; break;
      case 'none': break;
      default: x[r.dim] = r.n;
    }
  }
  for (const [f, x] of raw) {
    const due = x.duesDue ?? 0;
    f.members.duesCollectionRate = due > 0 ? Math.min(1, (x.duesPaid ?? 0) / due) : null;
    const states = f.services.ordersByState;
    const live = Object.entries(states).reduce((s, [k, n]) => (k === 'CANCELLED' ? s : s + n), 0);
    const closed = x.closed ?? 0;
    f.services.closureRate = live > 0 ? closed / live : null;
    f.services.onTimeRate = closed > 0 ? (x.closedOnTime ?? 0) / closed : null;
    f.services.averageSatisfaction = closed > 0 ? (x.ratingSum ?? 0) / closed : null;
  }
  return out;
}

interface Stats {
  total: number; probationary: number; full: number; byCategory: { category: string; count: number }[];
  duesCollectionRate: number | null; inServiceReportedIn: number;
}
interface Service {
  ordersByState: { state: string; count: number }[]; closureRate: number | null; onTimeRate: number | null;
  averageSatisfaction: number | null; overdue: number; wishesFulfilled: number;
}
interface Progress {
  campaign: { id: string }; targets: number; byState: { state: string; count: number; overdue: number }[];
  gradeDistribution: { grade: string; count: number }[];
}
interface Figures { memberStatistics: Stats; serviceStatistics: Service; assessmentProgress: Progress | null }
export interface DashboardData {
  unitCountsByDistrict: { total: number; counts: { kind: string; count: number }[]; district: { id: string } & Figures }[];
  drillDown: { children: ({ id: string; unitCounts: { kind: string; count: number }[] } & Figures)[] };
}

/** The platform's answer to bench/operations/dashboard.graphql in the same shape as `naiveDashboard`. */
export function dashboardFigures(data: DashboardData): DashboardFigures {
  const nonZero = <T extends { count: number }>(xs: T[], key: (x: T) => string) => Object.fromEntries(xs.filter((x) => x.count > 0).map((x) => [key(x), x.count]));
  const figures = (f: Figures, counts: { kind: string; count: number }[], unitTotal: number): UnitFigures => {
    const m = f.memberStatistics;
    const s = f.serviceStatistics;
    const a = f.assessmentProgress;
    return {
      units: nonZero(counts, (c) => c.kind),
      unitTotal,
      members: {
        total: m.total, probationary: m.probationary, full: m.full, byCategory: nonZero(m.byCategory, (c) => c.category),
        duesCollectionRate: m.duesCollectionRate, inServiceReportedIn: m.inServiceReportedIn,
      },
      services: {
        ordersByState: nonZero(s.ordersByState, (c) => c.state), closureRate: s.closureRate, onTimeRate: s.onTimeRate,
        averageSatisfaction: s.averageSatisfaction, overdue: s.overdue, wishesFulfilled: s.wishesFulfilled,
      },
      assessment: a && {
        campaignId: a.campaign.id, targets: a.targets,
        byState: Object.fromEntries(a.byState.filter((x) => x.count > 0).map((x) => [x.state, { count: x.count, overdue: x.overdue }])),
        gradeDistribution: nonZero(a.gradeDistribution, (g) => g.grade),
      },
    };
  };
  return {
    districts: Object.fromEntries(data.unitCountsByDistrict.map((d) => [d.district.id, figures(d.district, d.counts, d.total)])),
    drillDown: Object.fromEntries(data.drillDown.children.map((c) => [c.id, figures(c, c.unitCounts, c.unitCounts.reduce((n, x) => n + x.count, 0))])),
  };
}

/** Figures with every object's keys sorted, so two equal dashboards serialise identically. */
export function sortKeys(f: DashboardFigures): unknown {
  const sort = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)]))
    : v);
  return sort(f);
}

/** Paths of the figures that differ between two dashboards (empty when they are equal). */
export function differences(a: DashboardFigures, b: DashboardFigures): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, at: string) => {
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`);
    } else if (x !== y) out.push(`${at}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`);
  };
  walk(a, b, '');
  return out;
}
