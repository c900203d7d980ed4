import { badInput, forbidden, isUuid, notFound, requireScope } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { localDate } from '../domain/age.ts';
import { checkBrackets, duesBrackets, type Bracket } from '../domain/dues.ts';
import { checkRules, isExempt, pointSettings, recordPoints, type PointRule } from '../domain/points.ts';
import type { MemberRow, PointEventRow } from '../loaders.ts';
import type { MemberCategory } from '../generated/resolvers.ts';

/** What MemberPoints resolves from. */
export interface PointsView { year: number; events: PointEventRow[]; exempt: boolean }

interface EventInput { rule: string; points: number; occurredOn: Date | string; note?: string | null }
interface SettingsInput {
  employedDuesBrackets?: Bracket[] | null; retireeDuesBrackets?: Bracket[] | null; pointsBaseline?: number | null;
  pointRules?: (Omit<PointRule, 'yearlyCap'> & { yearlyCap?: number | null })[] | null; pointsExemptCategories?: string[] | null;
}

const day = (v: Date | string): string => (v instanceof Date ? v.toISOString().slice(0, 10) : v);

async function settingsView(ctx: Context) {
  const row = await ctx.loaders.ledgerSettings.load('tenant');
  const dues = duesBrackets(row);
  const points = pointSettings(row);
  return {
    employedDuesBrackets: dues.employed,
    retireeDuesBrackets: dues.retired,
    pointsBaseline: points.baseline,
    pointRules: points.rules.map((r) => ({ ...r, yearlyCap: r.yearlyCap ?? null })),
    pointsExemptCategories: points.exempt as MemberCategory[],
  };
}

export const pointsMemberResolvers = {
  async points(m: MemberRow, args: { year?: number | null }, ctx: Context): Promise<PointsView> {
    const year = args.year ?? Number(localDate(ctx.now()).slice(0, 4));
    if (!Number.isInteger(year) || year < 2000 || year > 2200) throw badInput('year must be between 2000 and 2200.', 'year');
    const [events, settings] = await Promise.all([ctx.loaders.points.load(`${m.id}|${year}`), ctx.loaders.ledgerSettings.load('tenant')]);
    return { year, events, exempt: isExempt(m.categories, pointSettings(settings)) };
  },
};

export const memberPointsResolvers = {
  balance: (p: PointsView) => p.events.reduce((s, e) => s + e.points, 0),
};

export const pointEventResolvers = {
  occurredOn: (e: PointEventRow) => e.occurred_on,
  recordedBy: (e: PointEventRow) => e.recorded_by,
};

export const pointsQueryResolvers = {
  ledgerSettings(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'members:read');
    return settingsView(ctx);
  },
};

export const pointsMutationResolvers = {
  async recordPointEvent(_: unknown, { memberId, input }: { memberId: string; input: EventInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    const occurredOn = day(input.occurredOn);
    if (occurredOn > localDate(ctx.now())) throw badInput(`occurredOn ${occurredOn} is in the future.`, 'input.occurredOn');
    if (input.rule === 'BASELINE') throw badInput('The yearly baseline is written by the service with the first event of a year.', 'input.rule');
    const settings = pointSettings(await ctx.loaders.ledgerSettings.load('tenant'));
    const id = await recordPoints(ctx.em, settings, { memberId, rule: input.rule, points: input.points, occurredOn, note: input.note?.trim() || null, recordedBy: ctx.principal.sub });
    if (!id) throw notFound('Member', memberId);
    afterWrite(ctx);
    const rows = await ctx.loaders.points.load(`${memberId}|${occurredOn.slice(0, 4)}`);
    return rows.find((r) => r.id === id)!;
  },

  async updateLedgerSettings(_: unknown, { input }: { input: SettingsInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    if (ctx.principal.role !== 'CITY_ADMIN') throw forbidden('Ledger rules apply to the whole tenant; only a city administrator may change them.');
    if (input.pointsBaseline != null && !(Number.isInteger(input.pointsBaseline) && input.pointsBaseline >= 0 && input.pointsBaseline <= 1000)) throw badInput('The baseline must be a whole number from 0 to 1000.', 'input.pointsBaseline');
    const json = (v: unknown) => (v == null ? null : JSON.stringify(v));
    await ctx.em.execute(
      `insert into members.ledger_settings (tenant_id, dues_brackets, retiree_brackets, points_baseline, points_rules, points_exempt)
       values (platform.current_tenant(), ?::jsonb, ?::jsonb, ?, ?::jsonb, ?::text[])
       on conflict (tenant_id) do update set
         dues_brackets = coalesce(excluded.dues_brackets, ledger_settings.dues_brackets),
         retiree_brackets = coalesce(excluded.retiree_brackets, ledger_settings.retiree_brackets),
         points_baseline = coalesce(excluded.points_baseline, ledger_settings.points_baseline),
         points_rules = coalesce(excluded.points_rules, ledger_settings.points_rules),
         points_exempt = coalesce(excluded.points_exempt, ledger_settings.points_exempt), updated_at = now()`,
      [
        json(input.employedDuesBrackets && checkBrackets(input.employedDuesBrackets.map((b) => ({ above: b.above, rate: b.rate })), 'input.employedDuesBrackets')),
        json(input.retireeDuesBrackets && checkBrackets(input.retireeDuesBrackets.map((b) => ({ above: b.above, rate: b.rate })), 'input.retireeDuesBrackets')),
        input.pointsBaseline ?? null,
        json(input.pointRules && checkRules(input.pointRules.map((r) => ({ code: r.code, kind: r.kind, min: r.min, max: r.max, yearlyCap: r.yearlyCap ?? null })), 'input.pointRules')),
        input.pointsExemptCategories ? `{${[...new Set(input.pointsExemptCategories)].join(',')}}` : null,
      ],
    );
    afterWrite(ctx);
    return settingsView(ctx);
  },
};
