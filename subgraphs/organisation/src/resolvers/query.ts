import { badInput, notFound, requireScope, sqlArray } from '@trellis/platform';
import { BigCommittee, OrgUnit, StationedUnit } from '../entities.ts';
import type { Context } from '../context.ts';
import type { OrganisationForm, OrgUnitStatus } from '../generated/resolvers.ts';
import { isUuid, requireUnit } from '../domain/tree.ts';

const MAX_SEARCH = 100;

async function loadOrThrow<T>(p: Promise<T | null>, type: string, id: string): Promise<T> {
  const v = await p;
  if (!v) throw notFound(type, id);
  return v;
}

export const queryResolvers = {
  async myTenant(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    return loadOrThrow(ctx.loaders.tenant.load(ctx.principal.tenantId), 'Tenant', ctx.principal.tenantSlug);
  },
  orgUnit(_: unknown, args: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    return loadOrThrow(ctx.loaders.orgUnit.load(args.id), 'OrgUnit', args.id);
  },
  async orgUnits(_: unknown, args: { ids: string[] }, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    if (args.ids.length > 500) throw badInput('ids: at most 500 ids per call.', 'ids');
    return Promise.all(args.ids.map((id) => loadOrThrow(ctx.loaders.orgUnit.load(id), 'OrgUnit', id)));
  },
  async myRootUnits(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    const { scopeUnitId } = ctx.principal;
    if (scopeUnitId && ctx.principal.role !== 'CITY_ADMIN') {
      const u = await ctx.loaders.orgUnit.load(scopeUnitId);
      return u ? [u] : [];
    }
    return ctx.em.find(OrgUnit, { parentId: null });
  },
  async searchOrgUnits(_: unknown, args: { text: string; under?: string | null; kinds?: string[] | null; first?: number | null }, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    const text = args.text.trim();
    if (!text) throw badInput('text: give at least one character to search for.', 'text');
    const first = Math.min(Math.max(args.first ?? 20, 1), MAX_SEARCH);
    const under = args.under ? await requireUnit(ctx.em, args.under, 'under') : null;
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await ctx.em.execute<Record<string, unknown>[]>(
      `select * from organisation.org_unit
        where tenant_id = platform.current_tenant() and status = 'ACTIVE' and name like ?
          ${under ? 'and path <@ ?::ltree' : ''} ${args.kinds ? 'and kind = any(?::text[])' : ''}
        order by (name = ?) desc, strpos(name, ?), length(name), name
        limit ?`,
      [pattern, ...(under ? [under.path] : []), ...(args.kinds ? [sqlArray(args.kinds)] : []), text, text, first],
    );
    return rows.map((r) => ctx.em.map(OrgUnit, r));
  },
  async orgTreeAsOf(_: unknown, args: { rootId: string; at: Date; depth?: number | null }, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    await requireUnit(ctx.em, args.rootId);
    const depth = Math.min(Math.max(args.depth ?? 3, 0), 10);
    const at = args.at.toISOString();
    const rows = await ctx.em.execute<{ unit_id: string; name: string; kind: string; form: string; parent_id: string | null; status: string; d: number }[]>(
      `with recursive t as (
         select v.unit_id, v.name, v.kind, v.form, v.parent_id, v.status, 0 as d
           from organisation.org_unit_version v
          where v.unit_id = ? and v.valid_from <= ?::timestamptz and (v.valid_to is null or v.valid_to > ?::timestamptz)
         union all
         select v.unit_id, v.name, v.kind, v.form, v.parent_id, v.status, t.d + 1
           from t join organisation.org_unit_version v
             on v.parent_id = t.unit_id and v.valid_from <= ?::timestamptz and (v.valid_to is null or v.valid_to > ?::timestamptz)
          where t.d < ?
       ) select * from t order by d, name`,
      [args.rootId, at, at, at, at, depth],
    );
    return rows.map((r) => ({ id: r.unit_id, name: r.name, kind: r.kind, form: r.form as OrganisationForm, parentId: r.parent_id, status: r.status as OrgUnitStatus, relativeDepth: r.d }));
  },
  async unitCountsByDistrict(_: unknown, __: unknown, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    // Districts are the first level below the root (a township in a county); counts come from
    // the maintained rollup, so this reads a few rows per district whatever the tree's size.
    const districts = await ctx.loaders.districts.load('all');
    const counts = await ctx.loaders.unitCountsUnder.loadMany(districts.map((d) => d.id));
    return districts.map((district, i) => {
      const rows = counts[i] instanceof Error ? [] : (counts[i] as { kind: string; count: number }[]);
      const list = rows.map((r) => ({ kind: r.kind, count: r.count }));
      return { district, counts: list, total: list.reduce((n, c) => n + c.count, 0) };
    });
  },
  stationedUnit(_: unknown, args: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    return loadOrThrow(isUuid(args.id) ? ctx.em.findOne(StationedUnit, { id: args.id }) : Promise.resolve(null), 'StationedUnit', args.id);
  },
  bigCommittee(_: unknown, args: { id: string }, ctx: Context) {
    requireScope(ctx.principal, 'org:read');
    return loadOrThrow(isUuid(args.id) ? ctx.em.findOne(BigCommittee, { id: args.id }) : Promise.resolve(null), 'BigCommittee', args.id);
  },
};
