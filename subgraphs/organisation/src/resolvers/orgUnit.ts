import { sqlArray } from '@trellis/platform';
import { OrgUnit, type OrgUnitRow } from '../entities.ts';
import { must, type Context } from '../context.ts';

/** Unit id from an ltree label (ids are stored in paths without hyphens). */
export const labelToId = (l: string) => `${l.slice(0, 8)}-${l.slice(8, 12)}-${l.slice(12, 16)}-${l.slice(16, 20)}-${l.slice(20)}`;

const MAX_DEPTH = 10;

export const orgUnitResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.orgUnit.load(ref.id),
  kind: (u: OrgUnitRow, _: unknown, ctx: Context) => must(ctx.loaders.unitKinds.load(u.kind), 'UnitKind', u.kind),
  mergedInto: (u: OrgUnitRow, _: unknown, ctx: Context) => (u.mergedInto ? ctx.loaders.orgUnit.load(u.mergedInto) : null),
  parent: (u: OrgUnitRow, _: unknown, ctx: Context) => (u.parentId ? ctx.loaders.orgUnit.load(u.parentId) : null),
  async children(u: OrgUnitRow, args: { kinds?: string[] | null; includeInactive?: boolean | null }, ctx: Context) {
    const all = await ctx.loaders.children.load(u.id);
    return all.filter((c) => (args.includeInactive || c.status === 'ACTIVE') && (!args.kinds || args.kinds.includes(c.kind)));
  },
  async ancestors(u: OrgUnitRow, _: unknown, ctx: Context) {
    const ids = u.path.split('.').slice(0, -1).map(labelToId);
    return (await ctx.loaders.orgUnit.loadMany(ids)).filter((a): a is OrgUnitRow => !!a && !(a instanceof Error));
  },
  async subtree(u: OrgUnitRow, args: { depth?: number | null; kinds?: string[] | null }, ctx: Context) {
    const depth = Math.min(Math.max(args.depth ?? 2, 1), MAX_DEPTH);
    const rows = await ctx.em.execute<Record<string, unknown>[]>(
      `select * from organisation.org_unit
        where path <@ ?::ltree and depth between ? and ? and status = 'ACTIVE'
          ${args.kinds ? 'and kind = any(?::text[])' : ''}
        order by depth, name`,
      [u.path, u.depth + 1, u.depth + depth, ...(args.kinds ? [sqlArray(args.kinds)] : [])],
    );
    return rows.map((r) => {
      const unit = ctx.em.map(OrgUnit, r);
      ctx.loaders.orgUnit.prime(unit.id, unit);
      return { relativeDepth: unit.depth - u.depth, unit };
    });
  },
  district: (u: OrgUnitRow, _: unknown, ctx: Context) => {
    const labels = u.path.split('.');
    return labels.length >= 2 ? ctx.loaders.orgUnit.load(labelToId(labels[1]!)) : null;
  },
  unitCounts: async (u: OrgUnitRow, _: unknown, ctx: Context) => (await ctx.loaders.unitCountsUnder.load(u.id)).map((r) => ({ kind: r.kind, count: r.count })),
  history: (u: OrgUnitRow, _: unknown, ctx: Context) => ctx.loaders.history.load(u.id),
  stationedUnits: (u: OrgUnitRow, _: unknown, ctx: Context) => ctx.loaders.stationedUnitsIn.load(u.id),
  bigCommittees: (u: OrgUnitRow, _: unknown, ctx: Context) => ctx.loaders.committeesHostedBy.load(u.id),
};
