import { requireScope } from '@trellis/platform';
import { must, type Context } from '../context.ts';
import { APPRAISAL_GRADES, DUTY_RATINGS, appraisalBands, dutyScore, type AppraisalGrade } from '../domain/appraisal.ts';
import { quotaLimit } from '../domain/grading.ts';
import type {
  AssessmentCampaignResolvers, AssessmentResultResolvers, AssessmentTargetResolvers, AssessmentTemplateResolvers, CampaignProgressResolvers,
  DemocraticAppraisalResolvers, DutyReportResolvers, IndicatorScoreResolvers, MemberAppraisalResolvers, MemberResolvers, MetricKey, OrgUnitResolvers, TargetState,
} from '../generated/resolvers.ts';
import type { EntityRef, ProgressRow } from '../loaders.ts';
import { requireRead } from './query.ts';

const unit = (id: string): EntityRef => ({ __typename: 'OrgUnit', id });
const member = (id: string): EntityRef => ({ __typename: 'Member', id });
const TARGET_STATES: TargetState[] = ['SELF_ASSESSMENT', 'STREET_REVIEW', 'DISTRICT_REVIEW', 'NOTICE', 'FINAL'];

export const templateResolvers: AssessmentTemplateResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.template.load(ref.id),
  createdAt: (t) => new Date(t.createdAt),
};

export const campaignResolvers: AssessmentCampaignResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.campaign.load(ref.id),
  organisation: (c) => unit(c.ownerUnitId),
  template: (c, _, ctx) => must(ctx.loaders.template.load(c.templateId), 'AssessmentTemplate', c.templateId),
  targets: (c, _, ctx) => { requireScope(ctx.principal, 'assessment:read'); return ctx.loaders.targetsOfCampaign.load(c.id); },
  results: (c, _, ctx) => { requireRead(ctx); return ctx.loaders.resultsOfCampaign.load(c.id); },
  selfAssessmentDue: (c) => new Date(c.selfAssessmentDue),
  streetReviewDue: (c) => new Date(c.streetReviewDue),
  districtReviewDue: (c) => new Date(c.districtReviewDue),
  openedAt: (c) => new Date(c.openedAt),
};

export const targetResolvers: AssessmentTargetResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.target.load(ref.id),
  campaign: (t, _, ctx) => must(ctx.loaders.campaign.load(t.campaignId), 'AssessmentCampaign', t.campaignId),
  unit: (t) => unit(t.unitId),
  street: (t) => unit(t.streetId),
  decider: (t) => unit(t.deciderId),
  stateSince: (t) => new Date(t.stateSince),
  dueAt: (t) => (t.dueAt === null ? null : new Date(t.dueAt)),
  noticeEndsAt: (t) => (t.noticeEndsAt === null ? null : new Date(t.noticeEndsAt)),
  overdue: (t, _, ctx) => t.dueAt !== null && new Date(t.dueAt).getTime() < ctx.now().getTime(),
  scores: async (t, a, ctx) => (await ctx.loaders.scores.load(t.id)).filter((s) => !a.tier || s.tier === a.tier),
  evidence: (t, _, ctx) => ctx.loaders.evidence.load(t.id),
  history: (t, _, ctx) => ctx.loaders.history.load(t.id),
  objections: (t, _, ctx) => ctx.loaders.objections.load(t.id),
  result: (t, _, ctx) => (t.state === 'FINAL' ? ctx.loaders.result.load(t.id) : null),
};

export const scoreResolvers: IndicatorScoreResolvers = {
  source: (s) => (s.source ? { metric: s.source.metric as MetricKey, figure: s.source.figure, readAt: new Date(s.source.readAt) } : null),
  scoredAt: (s) => new Date(s.scoredAt),
};

export const resultResolvers: AssessmentResultResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.result.load(ref.targetId),
  campaign: (r, _, ctx) => must(ctx.loaders.campaign.load(r.campaignId), 'AssessmentCampaign', r.campaignId),
  unit: (r) => unit(r.unitId),
  finalisedAt: (r) => new Date(r.finalisedAt),
  amendments: (r, _, ctx) => ctx.loaders.amendments.load(r.targetId),
  rectification: (r, _, ctx) => ctx.loaders.rectification.load(r.targetId),
};

/** Sums the progress rows of one key into counts per state (with overdue) and per grade in effect. */
function progressView(rows: ProgressRow[]) {
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
}

/** The assessment subgraph's fields on organisation units. */
export const orgUnitResolvers: OrgUnitResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  async latestAssessmentResult(u, _, ctx) {
    requireRead(ctx);
    const latest = await ctx.loaders.latestResultTarget.load(u.id);
    return latest ? ctx.loaders.result.load(latest.targetId) : null;
  },
  async assessmentProgress(u, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    const rows = await ctx.loaders.progress.load(`${u.id}|${a.campaignId ?? ''}`);
    return rows.length === 0 ? null : progressView(rows);
  },
  async democraticAppraisals(u, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.appraisalsOfUnit.load(u.id)).filter((x) => a.year == null || x.year === a.year);
  },
  async dutyReports(u, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.dutyReportsOfUnit.load(u.id)).filter((x) => a.year == null || x.year === a.year);
  },
};

export const progressResolvers: CampaignProgressResolvers = {
  campaign: (p, _, ctx) => must(ctx.loaders.campaign.load(p.campaignId), 'AssessmentCampaign', p.campaignId),
};

const gradeCounts = (counts: Partial<Record<AppraisalGrade, number>> | null) => (counts ? APPRAISAL_GRADES.map((grade) => ({ grade, count: counts[grade] ?? 0 })) : []);
/** A member may see their own appraisals and reports; anyone else needs assessment:read. */
const mayReadMember = (ctx: Context, memberId: string): boolean => {
  if (ctx.principal.role === 'MEMBER') return ctx.principal.memberId === memberId;
  requireScope(ctx.principal, 'assessment:read');
  return true;
};

export const appraisalResolvers: DemocraticAppraisalResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.appraisal.load(ref.id),
  unit: (a) => unit(a.unitId),
  confirmer: (a) => unit(a.confirmerId),
  stateSince: (a) => new Date(a.stateSince),
  excellentQuota: (a) => quotaLimit(appraisalBands(a.excellentMaxShare)[0]!, a.memberCount),
  members: (a, _, ctx) => ctx.loaders.appraisalMembers.load(a.id),
  history: (a, _, ctx) => ctx.loaders.appraisalHistory.load(a.id),
};

export const memberAppraisalResolvers: MemberAppraisalResolvers = {
  appraisal: (m, _, ctx) => must(ctx.loaders.appraisal.load(m.appraisalId), 'DemocraticAppraisal', m.appraisalId),
  member: (m) => member(m.memberId),
  peerGrades: (m) => gradeCounts(m.peer),
  ballot: (m) => gradeCounts(m.ballot),
  grade: (m) => (m.state === 'CONFIRMED' ? m.proposedGrade : null),
  followUp: (m) => (m.followUpId ? { id: m.followUpId, dueOn: new Date(m.followUpDueOn!), status: m.followUpStatus!, outcome: m.followUpOutcome } : null),
};

export const dutyReportResolvers: DutyReportResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.dutyReport.load(ref.id),
  unit: (d) => unit(d.unitId),
  secretary: (d) => member(d.secretaryId),
  reviewer: (d) => unit(d.reviewerId),
  submittedAt: (d) => new Date(d.submittedAt),
  closedAt: (d) => (d.closedAt === null ? null : new Date(d.closedAt)),
  ratings: (d) => DUTY_RATINGS.map((rating) => ({ rating, count: d.counts[rating] ?? 0 })),
  raters: (d) => DUTY_RATINGS.reduce((n, r) => n + (d.counts[r] ?? 0), 0),
  score: (d) => (d.state === 'CLOSED' ? d.score : dutyScore(d.counts)),
};

/** The assessment subgraph's fields on members. */
export const memberResolvers: MemberResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  appraisals: (m, _, ctx) => (mayReadMember(ctx, m.id) ? ctx.loaders.appraisalsOfMember.load(m.id) : []),
  dutyReports: (m, _, ctx) => (mayReadMember(ctx, m.id) ? ctx.loaders.dutyReportsOfSecretary.load(m.id) : []),
};
