import { forbidden, isUuid, notFound } from '@trellis/platform';
import type { ProcessStepResolvers } from '../generated/resolvers.ts';
import { afterWrite, type Context } from '../context.ts';
import { localDate } from '../domain/age.ts';
import type { ProcessStepRow } from '../processLoaders.ts';

/** Date inputs arrive as JS Dates (UTC midnight) from the Date scalar; the domain works on `YYYY-MM-DD`. */
export const day = (v: Date | string): string => (v instanceof Date ? v.toISOString().slice(0, 10) : v);
export const today = (ctx: Context) => localDate(ctx.now());

/**
 * Whether a unit of the tenant lies in the caller's scope: true / false, or NOT_FOUND when the
 * unit is unknown to this tenant.
 */
export async function unitInScope(ctx: Context, id: string, what = 'OrgUnit'): Promise<boolean> {
  if (!isUuid(id)) throw notFound(what, id);
  const rows = await ctx.em.execute<{ visible: boolean }[]>('select platform.in_scope(path) as visible from members.unit_path where unit_id = ?', [id]);
  if (!rows[0]) throw notFound(what, id);
  return rows[0].visible;
}

/** A unit the caller administers (in scope); NOT_FOUND when unknown or outside scope. */
export async function requireUnitInScope(ctx: Context, id: string, what = 'OrgUnit'): Promise<void> {
  if (!(await unitInScope(ctx, id, what))) throw notFound(what, id);
}

/** FORBIDDEN unless the caller administers `unitId`, naming the side that may act. */
export async function requireSide(ctx: Context, unitId: string, side: string): Promise<void> {
  if (!(await unitInScope(ctx, unitId))) throw forbidden(`Only the ${side} (or an administrator above it) may do this.`);
}

/** After a write: the answer shows the new state. */
export const refresh = (ctx: Context) => afterWrite(ctx);

/** Resolvers of an audited step row. */
export const processStepResolvers = {
  from: (s: ProcessStepRow) => s.from_status,
  to: (s: ProcessStepRow) => s.to_status,
  recordedBy: (s: ProcessStepRow) => s.recorded_by,
  recordedAt: (s: ProcessStepRow) => s.recorded_at,
} satisfies ProcessStepResolvers;
