import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, conflict, isUuid } from '@trellis/platform';
import { localDate } from './age.ts';

/**
 * Points (积分): a ledger of events per member and year. The balance of a year is the sum of its
 * events; the yearly baseline (reset) is written as the year's first event. Base items are capped
 * per rule and year; members of exempt categories (retired, long-absent floating) take no points.
 */
export const POINT_KINDS = ['BASE', 'BONUS', 'DEDUCTION'] as const;
export type PointKind = (typeof POINT_KINDS)[number];
export interface PointRule { code: string; kind: PointKind; min: number; max: number; yearlyCap: number | null }

export const BASELINE = 'BASELINE';
export const DEFAULT_BASELINE = 70;
export const DEFAULT_EXEMPT = ['RETIRED', 'FLOATING_OUT'];
export const DEFAULT_RULES: readonly PointRule[] = [
  { code: 'MEETING', kind: 'BASE', min: 1, max: 2, yearlyCap: 20 },
  { code: 'STUDY', kind: 'BASE', min: 1, max: 5, yearlyCap: 10 },
  { code: 'VOLUNTEER_SERVICE', kind: 'BONUS', min: 5, max: 10, yearlyCap: 30 },
  { code: 'HONOUR', kind: 'BONUS', min: 5, max: 10, yearlyCap: null },
  { code: 'ABSENCE', kind: 'DEDUCTION', min: 5, max: 10, yearlyCap: null },
  { code: 'DISCIPLINE', kind: 'DEDUCTION', min: 5, max: 20, yearlyCap: null },
];

export interface PointSettings { baseline: number; rules: PointRule[]; exempt: string[] }

export function checkRules(rules: readonly PointRule[], field: string): PointRule[] {
  const seen = new Set<string>();
  for (const r of rules) {
    if (!/^[A-Z][A-Z0-9_]{1,39}$/.test(r.code) || r.code === BASELINE) throw badInput(`Rule code "${r.code}" must be capital letters, digits and underscores, and not ${BASELINE}.`, field);
    if (seen.has(r.code)) throw badInput(`Rule ${r.code} is given twice.`, field);
    seen.add(r.code);
    if (!(Number.isInteger(r.min) && Number.isInteger(r.max) && r.min >= 1 && r.min <= r.max && r.max <= 100)) throw badInput(`Rule ${r.code}: min and max must be whole numbers with 1 ≤ min ≤ max ≤ 100.`, field);
    if (r.yearlyCap != null && !(Number.isInteger(r.yearlyCap) && r.yearlyCap >= r.max)) throw badInput(`Rule ${r.code}: the yearly cap must be a whole number of at least max (${r.max}).`, field);
  }
  return [...rules];
}

export const isExempt = (categories: readonly string[], s: PointSettings) => categories.some((c) => s.exempt.includes(c));

/** Points a completed, rated service earns its volunteer: very satisfied +10, satisfied +5, else nothing. */
export const servicePoints = (rating: number) => (rating >= 5 ? 10 : rating === 4 ? 5 : 0);

export interface NewPointEvent {
  memberId: string; rule: string; points: number; occurredOn: string; note?: string | null; recordedBy: string;
  /** Natural key of an automatic event; such an event is applied once and never fails on rules. */
  source?: string;
}

/**
 * Records one point event under the caller's tenant and scope. Manual events break no rule:
 * unknown rules, wrong sign or range are BAD_USER_INPUT, exempt members and exhausted caps
 * CONFLICT. Automatic events (with `source`) are skipped or clipped to 0 instead, and applied once.
 * Returns the new event's id, or null when nothing was recorded.
 */
export async function recordPoints(em: SqlEntityManager, s: PointSettings, e: NewPointEvent): Promise<string | null> {
  const auto = e.source !== undefined;
  const rows = await em.execute<{ categories: string[] }[]>('select categories from members.member where id = ? for update', [e.memberId]);
  if (!rows[0]) return null;
  if (isExempt(rows[0].categories, s)) {
    if (auto) return null;
    throw conflict(`The member belongs to a category exempt from points (${rows[0].categories.filter((c) => s.exempt.includes(c)).join(', ')}).`);
  }
  const rule = s.rules.find((r) => r.code === e.rule);
  if (!rule) throw badInput(`Unknown points rule "${e.rule}"; the tenant's rules are ${s.rules.map((r) => r.code).join(', ')}.`, 'input.rule');
  const sign = rule.kind === 'DEDUCTION' ? -1 : 1;
  const magnitude = e.points * sign;
  if (!Number.isInteger(e.points) || magnitude < rule.min || magnitude > rule.max) {
    throw badInput(`Rule ${rule.code} gives ${sign > 0 ? '' : '-'}${rule.min} to ${sign > 0 ? '' : '-'}${rule.max} points per event.`, 'input.points');
  }
  const year = Number(e.occurredOn.slice(0, 4));
  if (auto && (await em.execute<unknown[]>('select 1 from members.point_event where source = ?', [e.source])).length) return null;
  await em.execute(
    `insert into members.point_event (tenant_id, member_id, org_path, year, kind, rule, points, requested, occurred_on, note, recorded_by)
     values (platform.current_tenant(), ?, '', ?, 'BASE', ?, ?, ?, ?, 'yearly baseline', ?)
     on conflict (tenant_id, member_id, year) where rule = '${BASELINE}' do nothing`,
    [e.memberId, year, BASELINE, s.baseline, s.baseline, `${year}-01-01`, e.recordedBy],
  );
  let points = e.points;
  if (rule.yearlyCap != null) {
    const used = await em.execute<{ used: number }[]>('select coalesce(sum(points), 0)::int as used from members.point_event where member_id = ? and year = ? and rule = ?', [e.memberId, year, rule.code]);
    const left = rule.yearlyCap - used[0]!.used;
    if (left <= 0 && !auto) throw conflict(`Rule ${rule.code} is capped at ${rule.yearlyCap} points a year and the member has reached the cap for ${year}.`);
    points = Math.max(0, Math.min(points, left));
  }
  const inserted = await em.execute<{ id: string }[]>(
    `insert into members.point_event (tenant_id, member_id, org_path, year, kind, rule, points, requested, occurred_on, source, note, recorded_by)
     values (platform.current_tenant(), ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (tenant_id, source) where source is not null do nothing returning id::text`,
    [e.memberId, year, rule.kind, rule.code, points, e.points, e.occurredOn, e.source ?? null, e.note ?? null, e.recordedBy],
  );
  return inserted[0]?.id ?? null;
}

/** The tenant's settings row merged with the defaults. */
export interface SettingsRow { dues_brackets: unknown; retiree_brackets: unknown; points_baseline: number | null; points_rules: unknown; points_exempt: string[] | null }
export function pointSettings(row: SettingsRow | undefined): PointSettings {
  return {
    baseline: row?.points_baseline ?? DEFAULT_BASELINE,
    rules: (row?.points_rules as PointRule[] | null) ?? [...DEFAULT_RULES],
    exempt: row?.points_exempt ?? [...DEFAULT_EXEMPT],
  };
}

export async function readSettings(em: SqlEntityManager): Promise<SettingsRow | undefined> {
  const rows = await em.execute<SettingsRow[]>('select dues_brackets, retiree_brackets, points_baseline, points_rules, points_exempt from members.ledger_settings where tenant_id = platform.current_tenant()');
  return rows[0];
}

/** Payload of the services subgraph's `service.completed` event (topic `services`). */
export interface ServiceCompleted { orderId: string; memberId: string | null; stationedUnitId: string | null; unitId: string; hours: number; rating: number; completedAt: string }
export const SERVICES_TOPIC = 'services';
export const SERVICE_COMPLETED = 'service.completed';

/**
 * Follows the services topic: a well-rated completed service earns its volunteer a
 * VOLUNTEER_SERVICE bonus (capped per year like any bonus), once per order.
 */
export const servicePointsSubscription = {
  topic: SERVICES_TOPIC,
  apply: async (em: SqlEntityManager, event: { type: string; payload: Record<string, unknown> }) => {
    if (event.type !== SERVICE_COMPLETED) return;
    const p = event.payload as unknown as ServiceCompleted;
    const points = servicePoints(Number(p.rating));
    if (!p.memberId || !isUuid(p.memberId) || !points || !p.orderId) return;
    const s = pointSettings(await readSettings(em));
    const rule = s.rules.find((r) => r.code === 'VOLUNTEER_SERVICE');
    if (!rule) return;
    const clamped = Math.min(Math.max(points, rule.min), rule.max);
    await recordPoints(em, s, {
      memberId: p.memberId, rule: rule.code, points: clamped, occurredOn: localDate(new Date(p.completedAt)),
      source: `${SERVICE_COMPLETED}:${p.orderId}`, note: `service order ${p.orderId}, rated ${p.rating}`, recordedBy: 'services',
    });
  },
  // Point events are the ledger itself, not a copy: a replay re-applies nothing (idempotent on the order id).
  reset: async () => {},
};
