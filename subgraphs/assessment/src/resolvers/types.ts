import { requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import { APPRAISAL_GRADES, DUTY_RATINGS, appraisalBands, dutyScore, type AppraisalGrade } from '../domain/appraisal.ts';
import { quotaLimit } from '../domain/grading.ts';
import type { AppraisalRow, CampaignRow, DutyReportRow, MemberAppraisalRow, ProgressRow, ResultRow, ScoreRow, TargetRow, TemplateRow } from '../loaders.ts';
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
    const byState = new Map<string, { count: number; overdue: number }>();
    const byGrade = new Map<string, number>();
    for (const r of rows) {
      if (r.state === null) continue;
      const s = byState.get(r.state) ?? { count: 0, overdue: 0 };
      byState.set(r.state, { count: s.count + r.count, overdue: s.overdue + r.overdue });
      if (r.grade !== null) byGrade.set(r.grade, (byGrade.get(r.grade) ?? 0) + r.count);
    }
    return {
      campaignId: rows[0]!.campaignId,
      targets: [...byState.values()].reduce((n, s) => n + s.count, 0),
      byState: TARGET_STATES.map((state) => ({ state, ...(byState.get(state) ?? { count: 0, overdue: 0 }) })),
      gradeDistribution: [...byGrade].map(([grade, count]) => ({ grade, count })).sort((x, y) => x.grade.localeCompare(y.grade)),
    };
  },
};

export const orgUnitReviewResolvers = {
  async democraticAppraisals(u: { id: string }, a: { year?: number | null }, ctx: Context) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.appraisalsOfUnit.load(u.id)).filter((x) => a.year == null || x.year === a.year);
  },
  async dutyReports(u: { id: string }, a: { year?: number | null }, ctx: Context) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.dutyReportsOfUnit.load(u.id)).filter((x) => a.year == null || x.year === a.year);
  },
};

export const progressResolvers = {
  campaign: (p: { campaignId: string }, _: unknown, ctx: Context) => ctx.loaders.campaign.load(p.campaignId),
};

const member = (id: string) => ({ __typename: 'Member' as const, id });
const gradeCounts = (counts: Partial<Record<AppraisalGrade, number>> | null) => (counts ? APPRAISAL_GRADES.map((grade) => ({ grade, count: counts[grade] ?? 0 })) : []);
/** A member may see their own appraisals and reports; anyone else needs assessment:read. */
const mayReadMember = (ctx: Context, memberId: string): boolean => {
  if (ctx.principal.role === 'MEMBER') return ctx.principal.memberId === memberId;
  requireScope(ctx.principal, 'assessment:read');
  return true;
};

export const appraisalResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.appraisal.load(ref.id),
  unit: (a: AppraisalRow) => unit(a.unitId),
  confirmer: (a: AppraisalRow) => unit(a.confirmerId),
  excellentQuota: (a: AppraisalRow) => quotaLimit(appraisalBands(a.excellentMaxShare)[0]!, a.memberCount),
  members: (a: AppraisalRow, _: unknown, ctx: Context) => ctx.loaders.appraisalMembers.load(a.id),
  history: (a: AppraisalRow, _: unknown, ctx: Context) => ctx.loaders.appraisalHistory.load(a.id),
};

export const memberAppraisalResolvers = {
  appraisal: (m: MemberAppraisalRow, _: unknown, ctx: Context) => ctx.loaders.appraisal.load(m.appraisalId),
  member: (m: MemberAppraisalRow) => member(m.memberId),
  peerGrades: (m: MemberAppraisalRow) => gradeCounts(m.peer),
  ballot: (m: MemberAppraisalRow) => gradeCounts(m.ballot),
  grade: (m: MemberAppraisalRow) => (m.state === 'CONFIRMED' ? m.proposedGrade : null),
  followUp: (m: MemberAppraisalRow) => (m.followUpId ? { id: m.followUpId, dueOn: m.followUpDueOn!, status: m.followUpStatus!, outcome: m.followUpOutcome } : null),
};

export const dutyReportResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.dutyReport.load(ref.id),
  unit: (d: DutyReportRow) => unit(d.unitId),
  secretary: (d: DutyReportRow) => member(d.secretaryId),
  reviewer: (d: DutyReportRow) => unit(d.reviewerId),
  ratings: (d: DutyReportRow) => DUTY_RATINGS.map((rating) => ({ rating, count: d.counts[rating] ?? 0 })),
  raters: (d: DutyReportRow) => DUTY_RATINGS.reduce((n, r) => n + (d.counts[r] ?? 0), 0),
  score: (d: DutyReportRow) => (d.state === 'CLOSED' ? d.score : dutyScore(d.counts)),
};

/** The assessment subgraph's fields on members. */
export const memberResolvers = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  appraisals: (m: { id: string }, _: unknown, ctx: Context) => (mayReadMember(ctx, m.id) ? ctx.loaders.appraisalsOfMember.load(m.id) : []),
  dutyReports: (m: { id: string }, _: unknown, ctx: Context) => (mayReadMember(ctx, m.id) ? ctx.loaders.dutyReportsOfSecretary.load(m.id) : []),
};
