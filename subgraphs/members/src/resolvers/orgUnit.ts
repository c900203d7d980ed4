import { requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import type { AgeBand } from '../domain/age.ts';
import type { Stage } from '../domain/recruitment.ts';
import type { MemberStatistics } from '../generated/resolvers.ts';
import { encodeCursor } from '../loaders.ts';

export interface UnitRef { id: string }
/** MemberStatistics as the unit's resolver returns it: every figure but the age bands, read only when selected. */
export type StatisticsView = Omit<MemberStatistics, 'byAgeBand'> & { unitId: string };
interface MembersArgs { first: number; after?: string | null; category?: string | null; status?: Stage | null; ageBand?: AgeBand | null }

/** Non-zero counts in a stable order (by key). */
const counts = <N extends string, K extends string>(m: ReadonlyMap<K, number>, name: N) =>
  [...m].filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => ({ [name]: key, count: n }) as { [P in N]: K } & { count: number });

/** The members subgraph's fields on organisation units (the organisation subgraph owns the rest). */
export const orgUnitResolvers = {
  __resolveReference: (ref: UnitRef) => ({ id: ref.id }),
  async members(u: UnitRef, args: MembersArgs, ctx: Context) {
    requireScope(ctx.principal, 'members:read');
    const page = await ctx.loaders.page.load({
      unitId: u.id,
      args: { first: args.first, after: args.after ?? null, category: args.category ?? null, status: args.status ?? null, ageBand: args.ageBand ?? null },
    });
    const edges = page.rows.map((m) => ({ cursor: encodeCursor(m), node: m }));
    return { edges, pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: page.hasNextPage } };
  },
  async memberStatistics(u: UnitRef, _: unknown, ctx: Context): Promise<StatisticsView> {
    requireScope(ctx.principal, 'members:read');
    const s = await ctx.loaders.statistics.load(u.id);
    const stage = (k: 'PROBATIONARY' | 'FULL') => s.stages.get(k) ?? 0;
    return {
      unitId: u.id,
      total: stage('PROBATIONARY') + stage('FULL'),
      probationary: stage('PROBATIONARY'),
      full: stage('FULL'),
      byStage: counts(s.stages, 'stage'),
      byCategory: counts(s.categories, 'category'),
      byEducation: counts(s.education, 'education'),
      byFlag: counts(s.flags, 'flag'),
      inServiceReportedIn: s.inServiceReportedIn,
      duesCollectionRate: s.duesCollectionRate,
    };
  },
};

export const memberStatisticsResolvers = {
  // Read only when selected: a unit's age bands come from some nine hundred summary rows.
  byAgeBand: async (s: StatisticsView, _: unknown, ctx: Context) => counts(await ctx.loaders.ageBands.load(s.unitId), 'ageBand'),
};
