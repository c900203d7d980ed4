// How soon a write shows on the dashboard: the time from a write's response to the first
// dashboard answer that includes it, with the event followers running in the background as in
// production. Summaries kept by triggers show at once; a unit move reaches the other subgraphs'
// copies of the tree through the event stream (followers poll every 250 ms, woken by NOTIFY).
import type { BenchPrincipal } from './principals.ts';
import type { DashboardData } from './naive.ts';

type Gql = (url: string, auth: string, query: string, variables: Record<string, unknown>) => Promise<{ data?: unknown; errors?: { message: string }[] }>;

export interface VisibilitySample { write: string; ms: number; visible: boolean }
export interface Visibility { samples: VisibilitySample[]; p50Ms: number; p95Ms: number; maxMs: number; allWithin2s: boolean }

const CREATE = 'mutation($input: CreateMemberInput!) { createMember(input: $input) { id } }';
const RATE = 'mutation($id: ID!) { rateOrder(id: $id, rating: 5) { id } }';
const FINALISE = 'mutation($id: ID!) { finaliseAssessment(targetId: $id) { id } }';
const MOVE = 'mutation($id: ID!, $to: ID!) { moveOrgUnit(id: $id, newParentId: $to) { id } }';

/**
 * `rounds` samples of each write the dashboard shows: a new probationary member, a done order
 * closed, a result finalised (by a district administrator of the main tenant) and a grid with
 * its members moved to another district and back (by a city administrator).
 */
export async function measureVisibility(o: {
  url: string; gql: Gql; dashboard: string; principals: BenchPrincipal[]; rounds: number; nextIdCard: () => string; today: string;
  /** A grid with members, its community and a community of another district, for the move (main tenant). */
  move?: { gridId: string; fromParentId: string; toParentId: string; fromDistrictId: string; toDistrictId: string };
  timeoutMs?: number;
}): Promise<Visibility> {
  const timeout = o.timeoutMs ?? 10_000;
  const districtAdmin = o.principals.find((p) => p.role === 'DISTRICT_ADMIN' && p.doneOrders.length && p.noticeTargets.length)
    ?? o.principals.find((p) => p.role === 'DISTRICT_ADMIN')!;
  const city = o.principals.find((p) => p.role === 'CITY_ADMIN' && p.tenantId === districtAdmin.tenantId)!;
  const read = async (p: BenchPrincipal) => {
    const r = await o.gql(o.url, `Bearer ${p.token}`, o.dashboard, { district: p.focusUnitId, drillKinds: p.drillKinds });
    if (r.errors?.length) throw new Error(`dashboard: ${r.errors.map((e) => e.message).join('; ')}`);
    return r.data as DashboardData & { unitCountsByDistrict: { district: { id: string; memberStatistics: { total: number; probationary: number }; serviceStatistics: { ordersByState: { state: string; count: number }[] }; assessmentProgress: { byState: { state: string; count: number }[] } | null } }[] };
  };
  const district = (d: Awaited<ReturnType<typeof read>>, id: string) => d.unitCountsByDistrict.find((x) => x.district.id === id)?.district;
  const figure = (p: BenchPrincipal, districtId: string, f: (d: NonNullable<ReturnType<typeof district>>) => number) => async () => {
    const d = district(await read(p), districtId);
    return d ? f(d) : NaN;
  };
  const samples: VisibilitySample[] = [];
  /** Runs the write, then reads until `value` differs from what it was before the write. */
  const sample = async (write: string, value: () => Promise<number>, run: () => Promise<{ errors?: { message: string }[] }>) => {
    const before = await value();
    const r = await run();
    if (r.errors?.length) throw new Error(`${write}: ${r.errors.map((e) => e.message).join('; ')}`);
    const t = performance.now();
    for (;;) {
      const now = await value();
      const ms = performance.now() - t;
      if (now !== before) { samples.push({ write, ms: Math.round(ms * 10) / 10, visible: true }); return; }
      if (ms > timeout) { samples.push({ write, ms: Math.round(ms), visible: false }); return; }
    }
  };
  const home = districtAdmin.focusUnitId;
  const counted = (rows: { state: string; count: number }[] | undefined, state: string) => rows?.find((x) => x.state === state)?.count ?? 0;
  for (let i = 0; i < o.rounds; i++) {
    await sample('new member', figure(districtAdmin, home, (d) => d.memberStatistics.probationary), () => o.gql(o.url, `Bearer ${districtAdmin.token}`, CREATE, { input: {
      orgUnitId: districtAdmin.memberHomeId, name: `时效${i}`, idCardNumber: o.nextIdCard(), education: 'BACHELOR', stage: 'PROBATIONARY', stageSince: o.today, categories: ['RETIRED'],
    } }));
    const order = districtAdmin.doneOrders.pop();
    if (order) await sample('order closed', figure(districtAdmin, home, (d) => counted(d.serviceStatistics.ordersByState, 'CLOSED')), () => o.gql(o.url, `Bearer ${districtAdmin.token}`, RATE, { id: order }));
    const target = districtAdmin.noticeTargets.pop();
    if (target) await sample('result finalised', figure(districtAdmin, home, (d) => counted(d.assessmentProgress?.byState, 'FINAL')), () => o.gql(o.url, `Bearer ${districtAdmin.token}`, FINALISE, { id: target }));
    if (o.move && city) {
      const m = o.move;
      const [to, from] = i % 2 === 0 ? [m.toParentId, m.fromDistrictId] : [m.fromParentId, m.toDistrictId];
      // The members' copy of the tree learns of the move from the organisation's event stream.
      await sample('grid moved (members follow)', figure(city, from, (d) => d.memberStatistics.total), () => o.gql(o.url, `Bearer ${city.token}`, MOVE, { id: m.gridId, to }));
    }
  }
  const ms = samples.filter((s) => s.visible).map((s) => s.ms).sort((a, b) => a - b);
  const at = (p: number) => ms.length ? ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]! : 0;
  return { samples, p50Ms: at(50), p95Ms: at(95), maxMs: ms.at(-1) ?? 0, allWithin2s: samples.every((s) => s.visible && s.ms <= 2000) };
}
