import { requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import type { CampaignRow, ProgressRow, ResultRow, ScoreRow, TargetRow, TemplateRow } from '../loaders.ts';
import { requireRead } from './query.ts';

const unit = (id: string) => ({ __typename: 'OrgUnit', id });
const TARGET_STATES = ['SELF_ASSESSMENT', 'STREET_REVIEW', 'DISTRICT_REVIEW', 'NOTICE', 'FINAL'] as const;

export const templateResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.template.load(ref.id),
  dimensions: (t: TemplateRow) => t.dimensions,
  grading: (t: TemplateRow) => t.grading,
};

export const campaignResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.campaign.load(ref.id),
  organisation: (c: CampaignRow) => unit(c.ownerUnitId),
  template: (c: CampaignRow, _: unknown, ctx: Context) => ctx.loaders.template.load(c.templateId),
  targets: (c: CampaignRow, _: unknown, ctx: Context) => { requireScope(ctx.principal, 'assessment:read'); return ctx.loaders.targetsOfCampaign.load(c.id); },
  results: (c: CampaignRow, _: unknown, ctx: Context) => { requireRead(ctx); return ctx.loaders.resultsOfCampaign.load(c.id); },
};

export const targetResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.target.load(ref.id),
  campaign: (t: TargetRow, _: unknown, ctx: Context) => ctx.loaders.campaign.load(t.campaignId),
  unit: (t: TargetRow) => unit(t.unitId),
  street: (t: TargetRow) => unit(t.streetId),
  decider: (t: TargetRow) => unit(t.deciderId),
  overdue: (t: TargetRow, _: unknown, ctx: Context) => t.dueAt !== null && new Date(t.dueAt).getTime() < ctx.now().getTime(),
  scores: async (t: TargetRow, a: { tier?: string | null }, ctx: Context) => (await ctx.loaders.scores.load(t.id)).filter((s) => !a.tier || s.tier === a.tier),
  evidence: (t: TargetRow, _: unknown, ctx: Context) => ctx.loaders.evidence.load(t.id),
  history: (t: TargetRow, _: unknown, ctx: Context) => ctx.loaders.history.load(t.id),
  objections: (t: TargetRow, _: unknown, ctx: Context) => ctx.loaders.objections.load(t.id),
  result: (t: TargetRow, _: unknown, ctx: Context) => (t.state === 'FINAL' ? ctx.loaders.result.load(t.id) : null),
};

export const scoreResolvers = {
  source: (s: ScoreRow) => (s.source ? { metric: s.source.metric, figure: s.source.figure, readAt: new Date(s.source.readAt) } : null),
};

export const resultResolvers = {
  __resolveReference: (ref: { targetId: string }, ctx: Context) => ctx.loaders.result.load(ref.targetId),
  campaign: (r: ResultRow, _: unknown, ctx: Context) => ctx.loaders.campaign.load(r.campaignId),
  unit: (r: ResultRow) => unit(r.unitId),
  amendments: (r: ResultRow, _: unknown, ctx: Context) => ctx.loaders.amendments.load(r.targetId),
  rectification: (r: ResultRow, _: unknown, ctx: Context) => ctx.loaders.rectification.load(r.targetId),
};

/** The assessment subgraph's fields on organisation units. */
export const orgUnitResolvers = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  async latestAssessmentResult(u: { id: string }, _: unknown, ctx: Context) {
    requireRead(ctx);
    const latest = await ctx.loaders.latestResultTarget.load(u.id);
    return latest ? ctx.loaders.result.load(latest.targetId) : null;
  },
  async assessmentProgress(u: { id: string }, a: { campaignId?: string | null }, ctx: Context) {
    requireScope(ctx.principal, 'assessment:read');
    const rows: ProgressRow[] = await ctx.loaders.progress.load(`${u.id}|${a.campaignId ?? ''}`);
    if (rows.length === 0) return null;
    const states = rows.filter((r) => r.state !== null);
    return {
      campaignId: rows[0]!.campaignId,
      targets: states.reduce((s, r) => s + r.count, 0),
      byState: TARGET_STATES.map((state) => {
        const r = states.find((x) => x.state === state);
        return { state, count: r?.count ?? 0, overdue: r?.overdue ?? 0 };
      }),
      gradeDistribution: rows.filter((r) => r.grade !== null).map((r) => ({ grade: r.grade!, count: r.count })).sort((x, y) => x.grade.localeCompare(y.grade)),
    };
  },
};

export const progressResolvers = {
  campaign: (p: { campaignId: string }, _: unknown, ctx: Context) => ctx.loaders.campaign.load(p.campaignId),
};
