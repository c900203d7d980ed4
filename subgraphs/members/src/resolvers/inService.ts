import { randomUUID } from 'node:crypto';
import { badInput, conflict, forbidden, isUuid, notFound, requireScope } from '@trellis/platform';
import type { ActivityRecordResolvers, AnnualEvaluationResolvers, InServiceReportResolvers, MutationResolvers, QuarterlyFeedbackResolvers, QueryResolvers } from '../generated/resolvers.ts';
import type { Context } from '../context.ts';
import { checkAction, checkGrade, notFuture, quarterRange, summarise, type Grade, type InServiceStatus } from '../domain/inService.ts';
import type { MemberRow } from '../loaders.ts';
import { ACTIVITY_COLUMNS, REPORT_COLUMNS, type ActivityRow, type EvaluationRow, type FeedbackRow, type ReportRow } from '../processLoaders.ts';
import { day, refresh, requireUnitInScope, today, unitInScope } from './processHelpers.ts';

interface RecordInput { kind: 'CONTACT' | 'ACTIVITY'; on: Date | string; hours: number; content: string; residentRating?: number | null; postClaimId?: string | null }

export async function lockReport(ctx: Context, id: string): Promise<ReportRow> {
  if (!isUuid(id)) throw notFound('InServiceReport', id);
  const [r] = await ctx.em.execute<ReportRow[]>(`select ${REPORT_COLUMNS} from members.in_service_report r where r.id = ? for update`, [id]);
  if (!r) throw notFound('InServiceReport', id);
  return r;
}

/** The residential community's side (or above it) acts: assignment, feedback, evaluation. */
async function requireCommunitySide(ctx: Context, r: ReportRow): Promise<void> {
  requireScope(ctx.principal, 'members:write');
  if (!(await unitInScope(ctx, r.community_id))) throw forbidden('Only the residential community the member reported to (or an administrator above it) may do this.');
}

/** The member themself, or an administrator who sees the report (either side). */
export function requireMemberOrAdmin(ctx: Context, memberId: string): void {
  if (ctx.principal.memberId !== memberId) requireScope(ctx.principal, 'members:write');
}

async function step(ctx: Context, id: string, from: InServiceStatus | null, to: InServiceStatus, note: string | null = null) {
  await ctx.em.execute('insert into members.in_service_step (report_id, from_status, to_status, note, recorded_by, recorded_at) values (?, ?, ?, ?, ?, ?)',
    [id, from, to, note, ctx.principal.sub, ctx.now()]);
}

async function reload(ctx: Context, id: string): Promise<ReportRow> {
  refresh(ctx);
  const r = await ctx.loaders.report.load(id);
  if (!r) throw notFound('InServiceReport', id);
  return r;
}

async function activitiesOf(ctx: Context, reportId: string, from: string, to: string) {
  return ctx.em.execute<ActivityRow[]>(`select ${ACTIVITY_COLUMNS} from members.activity_record a where a.report_id = ? and a.happened_on between ? and ?`, [reportId, from, to]);
}

export const inServiceQueries = {
  async inServiceReport(_: unknown, { id }: { id: string }, ctx: Context) {
    const r = isUuid(id) ? await ctx.loaders.report.load(id) : null;
    if (!r) throw notFound('InServiceReport', id);
    if (ctx.principal.memberId !== r.member_id) requireScope(ctx.principal, 'members:read');
    return r;
  },
  async inServiceReports(_: unknown, { communityId, status }: { communityId: string; status?: InServiceStatus | null }, ctx: Context) {
    requireScope(ctx.principal, 'members:read');
    await requireUnitInScope(ctx, communityId);
    return ctx.em.execute<ReportRow[]>(
      `select ${REPORT_COLUMNS} from members.in_service_report r where r.community_id = ? and (?::text is null or r.status = ?) order by r.reported_on desc, r.id limit 500`,
      [communityId, status ?? null, status ?? null]);
  },
} satisfies Partial<QueryResolvers>;

export const inServiceMutations = {
  async reportInService(_: unknown, { input }: { input: { memberId: string; communityId: string; on: Date | string } }, ctx: Context) {
    requireMemberOrAdmin(ctx, input.memberId);
    if (!isUuid(input.memberId)) throw notFound('Member', input.memberId);
    const [m] = await ctx.em.execute<MemberRow[]>('select m.id::text, m.name, m.org_unit_id::text, m.stage, m.categories, m.membership_status from members.member m where m.id = ? for update', [input.memberId]);
    if (!m) throw notFound('Member', input.memberId);
    if (m.membership_status !== 'ACTIVE') throw conflict('The member has been transferred to another tenant.');
    if (!m.categories.includes('IN_SERVICE')) throw badInput('Only IN_SERVICE members report in to a residential community (双报到); add the IN_SERVICE category first.', 'input.memberId');
    if (!isUuid(input.communityId)) throw notFound('OrgUnit', input.communityId);
    const [c] = await ctx.em.execute<{ kind: string }[]>('select kind from members.unit_path where unit_id = ?', [input.communityId]);
    if (!c) throw notFound('OrgUnit', input.communityId);
    if (c.kind !== 'COMMUNITY') throw badInput(`Members report in to a residential community; this unit is a ${c.kind}.`, 'input.communityId');
    const on = notFuture(day(input.on), today(ctx), 'input.on');
    const [open] = await ctx.em.execute<{ id: string }[]>(`select id::text from members.in_service_report where member_id = ? and status <> 'ENDED'`, [m.id]);
    if (open) throw conflict(`The member is already reported in (report ${open.id}); end that report before reporting to another community.`);
    const id = randomUUID();
    await ctx.em.execute(
      `insert into members.in_service_report (id, member_id, member_name, employer_unit_id, community_id, status, reported_on) values (?, ?, ?, ?, ?, 'REPORTED', ?)`,
      [id, m.id, m.name, m.org_unit_id, input.communityId, on]);
    await step(ctx, id, null, 'REPORTED');
    return reload(ctx, id);
  },

  async assignGridPost(_: unknown, { reportId, input }: { reportId: string; input: { gridId: string; post: string; on: Date | string } }, ctx: Context) {
    const r = await lockReport(ctx, reportId);
    await requireCommunitySide(ctx, r);
    checkAction(r.status, 'assign');
    const on = notFuture(day(input.on), today(ctx), 'input.on');
    if (on < r.reported_on) throw badInput(`The assignment date ${on} is before the member reported in (${r.reported_on}).`, 'input.on');
    const post = input.post.trim();
    if (post.length < 1 || post.length > 60) throw badInput('The grid post has 1 to 60 characters, e.g. 楼栋联络员.', 'input.post');
    if (!isUuid(input.gridId)) throw notFound('OrgUnit', input.gridId);
    const [g] = await ctx.em.execute<{ inside: boolean }[]>(
      'select g.path <@ c.path as inside from members.unit_path g, members.unit_path c where g.unit_id = ? and c.unit_id = ?', [input.gridId, r.community_id]);
    if (!g) throw notFound('OrgUnit', input.gridId);
    if (!g.inside) throw badInput('The grid must be a unit inside the community the member reported to.', 'input.gridId');
    await ctx.em.execute(`update members.in_service_report set status = 'ASSIGNED', grid_unit_id = ?, grid_post = ?, assigned_on = ? where id = ?`, [input.gridId, post, on, r.id]);
    await step(ctx, r.id, r.status, 'ASSIGNED', post);
    return reload(ctx, r.id);
  },

  async recordActivity(_: unknown, { reportId, input }: { reportId: string; input: RecordInput }, ctx: Context) {
    const r = await lockReport(ctx, reportId);
    requireMemberOrAdmin(ctx, r.member_id);
    checkAction(r.status, 'record');
    const on = notFuture(day(input.on), today(ctx), 'input.on');
    if (r.assigned_on && on < r.assigned_on) throw badInput(`The date ${on} is before the member was assigned to the grid post (${r.assigned_on}).`, 'input.on');
    if (!(input.hours > 0 && input.hours <= 24)) throw badInput('hours must be more than 0 and at most 24.', 'input.hours');
    const content = input.content.trim();
    if (content.length < 1 || content.length > 500) throw badInput('Describe what was done in 1 to 500 characters.', 'input.content');
    if (input.residentRating != null && !(Number.isInteger(input.residentRating) && input.residentRating >= 1 && input.residentRating <= 5)) {
      throw badInput('residentRating is 1 (dissatisfied) to 5 (very satisfied).', 'input.residentRating');
    }
    if (input.postClaimId) {
      const [c] = isUuid(input.postClaimId) ? await ctx.em.execute<{ status: string }[]>('select status from members.post_claim where id = ? and report_id = ?', [input.postClaimId, r.id]) : [];
      if (!c) throw badInput('postClaimId is not a post claimed under this report.', 'input.postClaimId');
      if (c.status !== 'ACTIVE') throw conflict('That post has been released; record the activity without it or claim it again.');
    }
    const id = randomUUID();
    await ctx.em.execute(
      `insert into members.activity_record (id, report_id, member_id, claim_id, kind, happened_on, hours, content, resident_rating, recorded_by, recorded_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, r.id, r.member_id, input.postClaimId ?? null, input.kind, on, input.hours, content, input.residentRating ?? null, ctx.principal.sub, ctx.now()]);
    if (r.status === 'ASSIGNED') {
      await ctx.em.execute(`update members.in_service_report set status = 'SERVING', serving_since = ? where id = ?`, [on, r.id]);
      await step(ctx, r.id, 'ASSIGNED', 'SERVING', 'first service recorded');
    }
    refresh(ctx);
    const [row] = await ctx.em.execute<ActivityRow[]>(`select ${ACTIVITY_COLUMNS} from members.activity_record a where a.id = ?`, [id]);
    return row!;
  },

  async sendQuarterlyFeedback(_: unknown, a: { reportId: string; year: number; quarter: number; comment?: string | null }, ctx: Context) {
    const r = await lockReport(ctx, a.reportId);
    await requireCommunitySide(ctx, r);
    checkAction(r.status, 'feedback');
    const q = quarterRange(a.year, a.quarter);
    if (q.from > today(ctx)) throw badInput(`Quarter ${a.quarter} of ${a.year} has not begun; feedback covers a quarter under way or past.`, 'quarter');
    if (q.to < r.reported_on) throw badInput(`The member reported in on ${r.reported_on}, after that quarter.`, 'quarter');
    const [dup] = await ctx.em.execute<{ id: string }[]>('select id::text from members.in_service_feedback where report_id = ? and year = ? and quarter = ?', [r.id, a.year, a.quarter]);
    if (dup) throw conflict(`Feedback for Q${a.quarter} ${a.year} has already been sent to the employer.`);
    const s = summarise(await activitiesOf(ctx, r.id, q.from, q.to));
    const minimum = (await ctx.loaders.settings()).contactsPerQuarter;
    await ctx.em.execute(
      `insert into members.in_service_feedback (id, report_id, member_id, year, quarter, contacts, activities, hours, average_rating, meets_minimum, comment, sent_by, sent_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [randomUUID(), r.id, r.member_id, a.year, a.quarter, s.contacts, s.activities, s.hours, s.averageRating, s.contacts >= minimum, a.comment?.trim() || null, ctx.principal.sub, ctx.now()]);
    const row: FeedbackRow = { member_id: r.member_id, year: a.year, quarter: a.quarter, contacts: s.contacts, activities: s.activities, hours: s.hours,
      average_rating: s.averageRating, meets_minimum: s.contacts >= minimum, comment: a.comment?.trim() || null, sent_at: ctx.now() };
    refresh(ctx);
    return row;
  },

  async evaluateInService(_: unknown, a: { reportId: string; year: number; grade: Grade; comment?: string | null }, ctx: Context) {
    const r = await lockReport(ctx, a.reportId);
    await requireCommunitySide(ctx, r);
    checkAction(r.status, 'evaluate');
    const range = quarterRange(a.year, 1);
    if (a.year > Number(today(ctx).slice(0, 4))) throw badInput(`${a.year} has not begun.`, 'year');
    if (a.year < Number(r.reported_on.slice(0, 4))) throw badInput(`The member reported in on ${r.reported_on}, after ${a.year}.`, 'year');
    const [dup] = await ctx.em.execute<{ id: string }[]>('select id::text from members.in_service_evaluation where report_id = ? and year = ?', [r.id, a.year]);
    if (dup) throw conflict(`The member has already been evaluated for ${a.year}.`);
    const s = summarise(await activitiesOf(ctx, r.id, range.from, `${a.year}-12-31`));
    checkGrade(a.grade, s.activities, (await ctx.loaders.settings()).activitiesPerYear);
    await ctx.em.execute(
      `insert into members.in_service_evaluation (id, report_id, member_id, year, grade, activities, contacts, hours, comment, evaluated_by, evaluated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [randomUUID(), r.id, r.member_id, a.year, a.grade, s.activities, s.contacts, s.hours, a.comment?.trim() || null, ctx.principal.sub, ctx.now()]);
    refresh(ctx);
    const row: EvaluationRow = { member_id: r.member_id, year: a.year, grade: a.grade, activities: s.activities, contacts: s.contacts, hours: s.hours, comment: a.comment?.trim() || null, evaluated_at: ctx.now() };
    return row;
  },

  async endInService(_: unknown, a: { reportId: string; on: Date | string; reason?: string | null }, ctx: Context) {
    const r = await lockReport(ctx, a.reportId);
    requireMemberOrAdmin(ctx, r.member_id);
    checkAction(r.status, 'end');
    const on = notFuture(day(a.on), today(ctx), 'on');
    if (on < r.reported_on) throw badInput(`The end date ${on} is before the member reported in (${r.reported_on}).`, 'on');
    await ctx.em.execute(`update members.post_claim set status = 'RELEASED', released_on = ? where report_id = ? and status = 'ACTIVE'`, [on, r.id]);
    // The member's reportedInCommunity is cleared by the report's trigger (the community side may not see the member).
    await ctx.em.execute(`update members.in_service_report set status = 'ENDED', ended_on = ?, end_reason = ? where id = ?`, [on, a.reason?.trim() || null, r.id]);
    await step(ctx, r.id, r.status, 'ENDED', a.reason?.trim() || null);
    return reload(ctx, r.id);
  },
} satisfies Partial<MutationResolvers>;

export const inServiceReportResolvers = {
  member: (r: ReportRow, _: unknown, ctx: Context) => ctx.loaders.member.load(r.member_id),
  memberName: (r: ReportRow) => r.member_name,
  employerUnit: (r: ReportRow) => ({ __typename: 'OrgUnit', id: r.employer_unit_id }),
  community: (r: ReportRow) => ({ __typename: 'OrgUnit', id: r.community_id }),
  reportedOn: (r: ReportRow) => r.reported_on,
  grid: (r: ReportRow) => (r.grid_unit_id ? { __typename: 'OrgUnit', id: r.grid_unit_id } : null),
  gridPost: (r: ReportRow) => r.grid_post,
  assignedOn: (r: ReportRow) => r.assigned_on,
  servingSince: (r: ReportRow) => r.serving_since,
  endedOn: (r: ReportRow) => r.ended_on,
  posts: (r: ReportRow, _: unknown, ctx: Context) => ctx.loaders.claimsByReport.load(r.id),
  history: (r: ReportRow, _: unknown, ctx: Context) => ctx.loaders.reportHistory.load(r.id),
} satisfies InServiceReportResolvers;

export const activityRecordResolvers = {
  happenedOn: (a: ActivityRow) => a.happened_on,
  residentRating: (a: ActivityRow) => a.resident_rating,
  postClaimId: (a: ActivityRow) => a.claim_id,
} satisfies ActivityRecordResolvers;

export const quarterlyFeedbackResolvers = {
  averageRating: (f: FeedbackRow) => f.average_rating,
  meetsMinimum: (f: FeedbackRow) => f.meets_minimum,
  sentAt: (f: FeedbackRow) => f.sent_at,
} satisfies QuarterlyFeedbackResolvers;

export const annualEvaluationResolvers = {
  evaluatedAt: (e: EvaluationRow) => e.evaluated_at,
} satisfies AnnualEvaluationResolvers;
