import { requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import type { AgeBand } from '../domain/age.ts';
import type { Stage } from '../domain/recruitment.ts';
import { encodeCursor, type StatRow } from '../loaders.ts';

interface UnitRef { id: string }
interface MembersArgs { first: number; after?: string | null; category?: string | null; status?: Stage | null; ageBand?: AgeBand | null }

const count = (rows: StatRow[], dim: StatRow['dim'], name: string) =>
  rows.filter((r) => r.dim === dim).sort((a, b) => a.key.localeCompare(b.key)).map((r) => ({ [name]: r.key, count: r.count }));

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
  async memberStatistics(u: UnitRef, _: unknown, ctx: Context) {
    requireScope(ctx.principal, 'members:read');
    const rows = await ctx.loaders.statistics.load(u.id);
    const stage = (s: string) => rows.find((r) => r.dim === 'stage' && r.key === s)?.count ?? 0;
    return {
      total: stage('PROBATIONARY') + stage('FULL'),
      probationary: stage('PROBATIONARY'),
      full: stage('FULL'),
      byStage: count(rows, 'stage', 'stage'),
      byCategory: count(rows, 'category', 'category'),
      byAgeBand: count(rows, 'ageBand', 'ageBand'),
      byEducation: count(rows, 'education', 'education'),
      byFlag: count(rows, 'flag', 'flag'),
    };
  },
};
