import type { MutationResolvers } from '../generated/resolvers.ts';
import { badInput, conflict, forbidden, isUuid, notFound, requireScope, sqlArray, type Principal } from '@trellis/platform';
import { afterWrite, must, type Context } from '../context.ts';
import {
  ADVANCE, APPRAISAL_FLOW, DEFAULT_EXCELLENT_SHARE, DUTY_GRADING, FOLLOW_UP_DAYS, appraisalBands, dutyScore,
  type AppraisalGrade, type AppraisalRole, type AppraisalState,
} from '../domain/appraisal.ts';
import { requireRole, sendBackFrom } from '../domain/flow.ts';
import { gradeFor, requireQuota } from '../domain/grading.ts';
import type { AppraisalRow, DutyReportRow } from '../loaders.ts';
import { actingUnit } from './mutation.ts';

const iso = (d: Date) => d.toISOString();
const text = (v: string | null | undefined, field: string, max = 2000): string => {
  const t = (v ?? '').trim();
  if (t.length < 1 || t.length > max) throw badInput(`${field} must have 1 to ${max} characters.`, field);
  return t;
};
const checkYear = (year: number, field: string) => {
  if (!(Number.isInteger(year) && year >= 2000 && year <= 2100)) throw badInput('The year must be a calendar year between 2000 and 2100.', field);
};
const isAdminRole = (p: Principal) => p.role === 'CITY_ADMIN' || p.role === 'DISTRICT_ADMIN' || p.role === 'STREET_ADMIN' || p.role === 'COMMUNITY_ADMIN';

/** A unit of the tenant the caller can see, with the unit above it; NOT_FOUND otherwise. */
async function visibleUnit(ctx: Context, id: string): Promise<{ path: string; parentId: string | null; name: string }> {
  const [u] = isUuid(id)
    ? await ctx.em.execute<{ path: string; parent_id: string | null; name: string; visible: boolean }[]>(
      'select path::text, parent_id::text, name, platform.in_scope(path) as visible from assessment.unit_path where tenant_id = platform.current_tenant() and unit_id = ?', [id])
    : [];
  if (!u?.visible) throw notFound('OrgUnit', id);
  return { path: u.path, parentId: u.parent_id, name: u.name };
}

/** Loads and locks an appraisal the caller can see (NOT_FOUND otherwise), with the roles the caller holds on it. */
async function lockAppraisal(ctx: Context, id: string): Promise<{ a: AppraisalRow; held: AppraisalRole[] }> {
  if (!isUuid(id)) throw notFound('DemocraticAppraisal', id);
  const [row] = await ctx.em.execute<{ id: string }[]>('select id::text from assessment.appraisal where id = ? for update', [id]);
  if (!row) throw notFound('DemocraticAppraisal', id);
  const a = (await ctx.loaders.appraisal.load(id))!;
  const held: AppraisalRole[] = [];
  if (isAdminRole(ctx.principal)) {
    const unit = await actingUnit(ctx);
    if (unit === a.unitId) held.push('BRANCH');
    if (unit === a.confirmerId) held.push('CONFIRMER');
  }
  return { a, held };
}

/** The branch's or the confirmer's step: assessment:write, the right tier, the right state. */
async function actOnAppraisal(ctx: Context, id: string, role: AppraisalRole, expected: AppraisalState[], what: string) {
  requireScope(ctx.principal, 'assessment:write');
  const locked = await lockAppraisal(ctx, id);
  requireRole(APPRAISAL_FLOW, locked.a.state, locked.held, role, expected, what);
  return locked.a;
}

async function moveAppraisal(ctx: Context, a: AppraisalRow, to: AppraisalState, action: string, comment: string | null) {
  await ctx.em.execute('update assessment.appraisal set state = ?, state_since = ? where id = ?', [to, iso(ctx.now()), a.id]);
  await ctx.em.execute('insert into assessment.appraisal_transition (appraisal_id, action, from_state, to_state, comment, actor, at) values (?, ?, ?, ?, ?, ?, ?)',
    [a.id, action, a.state, to, comment, ctx.principal.sub, iso(ctx.now())]);
}

async function reloadAppraisal(ctx: Context, id: string) {
  afterWrite(ctx);
  return (await ctx.loaders.appraisal.load(id))!;
}

/** Member ids of the appraisal (its roll). */
async function roll(ctx: Context, appraisalId: string): Promise<Set<string>> {
  const rows = await ctx.em.execute<{ id: string }[]>('select member_id::text as id from assessment.appraisal_member where appraisal_id = ?', [appraisalId]);
  return new Set(rows.map((r) => r.id));
}

/** Loads a report on duty the caller can see, locked; NOT_FOUND otherwise. */
async function lockReport(ctx: Context, id: string): Promise<DutyReportRow> {
  if (!isUuid(id)) throw notFound('DutyReport', id);
  const [row] = await ctx.em.execute<{ id: string }[]>('select id::text from assessment.duty_report where id = ? for update', [id]);
  if (!row) throw notFound('DutyReport', id);
  return (await ctx.loaders.dutyReport.load(id))!;
}

interface ProposalInput { memberId: string; grade: AppraisalGrade; reason?: string | null }

export const reviewMutations: MutationResolvers = {
  async openDemocraticAppraisal(_, a, ctx) {
    const i = a.input;
    requireScope(ctx.principal, 'assessment:write');
    const unit = await visibleUnit(ctx, i.unitId);
    if (!isAdminRole(ctx.principal) || (await actingUnit(ctx)) !== i.unitId) throw forbidden('Only the branch itself opens the democratic appraisal of its members.');
    checkYear(i.year, 'input.year');
    if (!unit.parentId) throw badInput(`${unit.name} has no organisation above it to confirm the appraisal.`, 'input.unitId');
    const ids = [...new Set(i.memberIds)];
    if (ids.length === 0) throw badInput('An appraisal needs at least one member.', 'input.memberIds');
    if (!ids.every(isUuid)) throw badInput('Every member id must be a UUID.', 'input.memberIds');
    const [existing] = await ctx.em.execute<{ id: string }[]>('select id::text from assessment.appraisal where unit_id = ? and year = ?', [i.unitId, i.year]);
    if (existing) throw conflict(`${unit.name} already has a democratic appraisal for ${i.year}.`);
    const now = iso(ctx.now());
    const [row] = await ctx.em.execute<{ id: string }[]>(
      `insert into assessment.appraisal (unit_id, path, confirmer_id, year, state_since, excellent_max_share, opened_by, opened_at)
       values (?, ?::ltree, ?, ?, ?, ?, ?, ?) returning id::text`,
      [i.unitId, unit.path, unit.parentId, i.year, now, DEFAULT_EXCELLENT_SHARE, ctx.principal.sub, now]);
    await ctx.em.execute(
      `insert into assessment.appraisal_member (appraisal_id, member_id, position) select ?, m, n::int from unnest(?::uuid[]) with ordinality as x(m, n)`,
      [row!.id, sqlArray(ids)]);
    await ctx.em.execute(`insert into assessment.appraisal_transition (appraisal_id, action, from_state, to_state, actor, at) values (?, 'OPEN', null, 'SELF_APPRAISAL', ?, ?)`,
      [row!.id, ctx.principal.sub, now]);
    return reloadAppraisal(ctx, row!.id);
  },

  async submitSelfAppraisal(_, a, ctx) {
    const summary = text(a.text, 'text', 4000);
    const { a: ap, held } = await lockAppraisal(ctx, a.appraisalId);
    // The member writes their own; the branch may record one written on paper.
    const self = ctx.principal.role === 'MEMBER' && ctx.principal.memberId === a.memberId;
    if (!self) {
      requireScope(ctx.principal, 'assessment:write');
      if (!held.includes('BRANCH')) throw forbidden('Only the member or their branch may record a self-appraisal.');
    }
    if (!(await roll(ctx, ap.id)).has(a.memberId)) throw notFound('MemberAppraisal', a.memberId);
    if (ap.state !== 'SELF_APPRAISAL') throw conflict(`Cannot write a self-appraisal: the appraisal is in ${APPRAISAL_FLOW.stateLabel[ap.state]}.`);
    await ctx.em.execute('update assessment.appraisal_member set self_summary = ?, self_grade = ?, self_at = ? where appraisal_id = ? and member_id = ?',
      [summary, a.grade, iso(ctx.now()), ap.id, a.memberId]);
    afterWrite(ctx);
    return (await ctx.loaders.appraisalMembers.load(ap.id)).find((m) => m.memberId === a.memberId)!;
  },

  async submitPeerAppraisal(_, a, ctx) {
    const rater = ctx.principal.role === 'MEMBER' ? ctx.principal.memberId : undefined;
    if (!rater) throw forbidden('Peer appraisal is given by the branch\'s members themselves.');
    const { a: ap } = await lockAppraisal(ctx, a.appraisalId);
    const members = await roll(ctx, ap.id);
    if (!members.has(rater)) throw forbidden('Only members appraised in this branch appraise their peers.');
    if (ap.state !== 'PEER_APPRAISAL') throw conflict(`Cannot appraise peers: the appraisal is in ${APPRAISAL_FLOW.stateLabel[ap.state]}.`);
    const seen = new Set<string>();
    for (const [n, g] of a.grades.entries()) {
      if (g.memberId === rater) throw badInput('You cannot appraise yourself here; that is the self-appraisal.', `grades.${n}.memberId`);
      if (!members.has(g.memberId)) throw badInput(`Member ${g.memberId} is not appraised in this branch.`, `grades.${n}.memberId`);
      if (seen.has(g.memberId)) throw badInput('Each member is graded once.', `grades.${n}.memberId`);
      seen.add(g.memberId);
    }
    await ctx.em.execute('delete from assessment.peer_rating where appraisal_id = ? and rater_id = ?', [ap.id, rater]);
    if (a.grades.length) {
      await ctx.em.execute(
        `insert into assessment.peer_rating (appraisal_id, member_id, rater_id, grade, rated_at) select ?, m, ?, g, ? from unnest(?::uuid[], ?::text[]) as x(m, g)`,
        [ap.id, rater, iso(ctx.now()), sqlArray(a.grades.map((g) => g.memberId)), sqlArray(a.grades.map((g) => g.grade))]);
    }
    afterWrite(ctx);
    return (await ctx.loaders.appraisalMembers.load(ap.id)).filter((m) => seen.has(m.memberId));
  },

  async advanceDemocraticAppraisal(_, a, ctx) {
    const ap = await actOnAppraisal(ctx, a.appraisalId, 'BRANCH', ['SELF_APPRAISAL', 'PEER_APPRAISAL'], 'move the appraisal on');
    if (ap.state === 'SELF_APPRAISAL') {
      const [m] = await ctx.em.execute<{ n: number }[]>('select count(*)::int as n from assessment.appraisal_member where appraisal_id = ? and self_summary is null', [ap.id]);
      if (m!.n > 0) throw conflict(`${m!.n} member(s) have not written their self-appraisal yet; peer appraisal starts when every member has.`);
    }
    await moveAppraisal(ctx, ap, ADVANCE[ap.state]!, 'ADVANCE', null);
    return reloadAppraisal(ctx, ap.id);
  },

  async recordAppraisalBallot(_, a, ctx) {
    const ap = await actOnAppraisal(ctx, a.appraisalId, 'BRANCH', ['BALLOT'], 'record the ballot');
    const members = await roll(ctx, ap.id);
    const seen = new Set<string>();
    const rows = a.ballots.map((b, n) => {
      if (!members.has(b.memberId)) throw badInput(`Member ${b.memberId} is not appraised in this branch.`, `ballots.${n}.memberId`);
      if (seen.has(b.memberId)) throw badInput('Each member\'s ballot is recorded once.', `ballots.${n}.memberId`);
      seen.add(b.memberId);
      const votes: Partial<Record<AppraisalGrade, number>> = {};
      for (const v of b.votes) {
        if (!(Number.isInteger(v.count) && v.count >= 0)) throw badInput('Votes are whole numbers, 0 or more.', `ballots.${n}.votes`);
        if (v.grade in votes) throw badInput(`Votes for ${v.grade} are given twice.`, `ballots.${n}.votes`);
        votes[v.grade] = v.count;
      }
      return { memberId: b.memberId, votes };
    });
    if (rows.length) {
      await ctx.em.execute(
        `update assessment.appraisal_member m set ballot = x.b::jsonb from unnest(?::uuid[], ?::text[]) as x(id, b) where m.appraisal_id = ? and m.member_id = x.id`,
        [sqlArray(rows.map((r) => r.memberId)), sqlArray(rows.map((r) => JSON.stringify(r.votes))), ap.id]);
    }
    return reloadAppraisal(ctx, ap.id);
  },

  async proposeAppraisalGrades(_, a, ctx) {
    const ap = await actOnAppraisal(ctx, a.appraisalId, 'BRANCH', ['BALLOT'], 'propose grades');
    const entries = await ctx.em.execute<{ id: string; balloted: boolean }[]>(
      'select member_id::text as id, ballot is not null as balloted from assessment.appraisal_member where appraisal_id = ?', [ap.id]);
    const byId = new Map(entries.map((e) => [e.id, e]));
    const given = new Map<string, ProposalInput>();
    for (const [n, g] of a.grades.entries()) {
      if (!byId.has(g.memberId)) throw badInput(`Member ${g.memberId} is not appraised in this branch.`, `grades.${n}.memberId`);
      if (given.has(g.memberId)) throw badInput('Each member is proposed once.', `grades.${n}.memberId`);
      if ((g.grade === 'BASICALLY_QUALIFIED' || g.grade === 'UNQUALIFIED') && !g.reason?.trim()) {
        throw badInput('A grade below qualified needs the reason the branch meeting recorded.', `grades.${n}.reason`);
      }
      given.set(g.memberId, g);
    }
    const missing = entries.filter((e) => !given.has(e.id)).length;
    if (missing) throw badInput(`Propose a grade for every appraised member; ${missing} are missing.`, 'grades');
    const unballoted = entries.filter((e) => !e.balloted).length;
    if (unballoted) throw conflict(`Record the ballot first: ${unballoted} member(s) have no votes recorded.`);
    const excellent = appraisalBands(ap.excellentMaxShare)[0]!;
    requireQuota(excellent, entries.length, [...given.values()].filter((g) => g.grade === 'EXCELLENT').length, 'members appraised in this branch',
      'Propose fewer members as excellent; the ballot is the basis, the quota the ceiling.');
    const list = [...given.values()];
    await ctx.em.execute(
      `update assessment.appraisal_member m set proposed_grade = x.g, proposal_reason = nullif(x.r, '') from unnest(?::uuid[], ?::text[], ?::text[]) as x(id, g, r)
        where m.appraisal_id = ? and m.member_id = x.id`,
      [sqlArray(list.map((g) => g.memberId)), sqlArray(list.map((g) => g.grade)), sqlArray(list.map((g) => g.reason?.trim() ?? '')), ap.id]);
    await moveAppraisal(ctx, ap, 'REPORTED', 'PROPOSE', null);
    return reloadAppraisal(ctx, ap.id);
  },

  async confirmDemocraticAppraisal(_, a, ctx) {
    const ap = await actOnAppraisal(ctx, a.appraisalId, 'CONFIRMER', ['REPORTED'], 'confirm the appraisal');
    const due = new Date(ctx.now().getTime() + FOLLOW_UP_DAYS * 86_400_000).toISOString().slice(0, 10);
    await ctx.em.execute(
      `insert into assessment.appraisal_follow_up (appraisal_id, member_id, due_on) select appraisal_id, member_id, ?::date from assessment.appraisal_member
        where appraisal_id = ? and proposed_grade = 'UNQUALIFIED'`, [due, ap.id]);
    await moveAppraisal(ctx, ap, 'CONFIRMED', 'CONFIRM', a.comment?.trim() || null);
    return reloadAppraisal(ctx, ap.id);
  },

  async sendBackDemocraticAppraisal(_, a, ctx) {
    const comment = text(a.comment, 'comment');
    requireScope(ctx.principal, 'assessment:write');
    const { a: ap } = await lockAppraisal(ctx, a.appraisalId);
    const { to, role } = sendBackFrom(APPRAISAL_FLOW, ap.state,
      ap.state === 'CONFIRMED' ? 'A confirmed appraisal cannot be sent back.' : 'Only a proposal reported to the tier above can be sent back.');
    const checked = await actOnAppraisal(ctx, ap.id, role, [ap.state], 'send the proposal back');
    await moveAppraisal(ctx, checked, to, 'SEND_BACK', comment);
    return reloadAppraisal(ctx, ap.id);
  },

  async closeAppraisalFollowUp(_, a, ctx) {
    const outcome = text(a.outcome, 'outcome');
    if (!isUuid(a.id)) throw notFound('AppraisalFollowUp', a.id);
    const [f] = await ctx.em.execute<{ appraisal_id: string; status: string }[]>('select appraisal_id::text, status from assessment.appraisal_follow_up where id = ?', [a.id]);
    if (!f) throw notFound('AppraisalFollowUp', a.id);
    await actOnAppraisal(ctx, f.appraisal_id, 'BRANCH', ['CONFIRMED'], 'close the follow-up');
    if (f.status !== 'OPEN') throw conflict('This follow-up is already closed.');
    await ctx.em.execute(`update assessment.appraisal_follow_up set status = 'DONE', outcome = ?, closed_by = ?, closed_at = ? where id = ?`, [outcome, ctx.principal.sub, iso(ctx.now()), a.id]);
    afterWrite(ctx);
    const m = (await ctx.loaders.appraisalMembers.load(f.appraisal_id)).find((x) => x.followUpId === a.id)!;
    return { id: m.followUpId!, dueOn: new Date(m.followUpDueOn!), status: m.followUpStatus!, outcome: m.followUpOutcome };
  },

  async submitDutyReport(_, a, ctx) {
    const i = a.input;
    requireScope(ctx.principal, 'assessment:write');
    const unit = await visibleUnit(ctx, i.unitId);
    if (!isAdminRole(ctx.principal) || (await actingUnit(ctx)) !== i.unitId) throw forbidden('Only the unit itself submits its secretary\'s report on duty.');
    checkYear(i.year, 'input.year');
    if (!isUuid(i.secretaryMemberId)) throw badInput('The secretary must be a member id (UUID).', 'input.secretaryMemberId');
    if (!unit.parentId) throw badInput(`${unit.name} has no organisation above it to review the report.`, 'input.unitId');
    const report = text(i.report, 'input.report', 20000);
    const [existing] = await ctx.em.execute<{ id: string }[]>('select id::text from assessment.duty_report where unit_id = ? and year = ?', [i.unitId, i.year]);
    if (existing) throw conflict(`${unit.name} already has a report on duty for ${i.year}.`);
    const [row] = await ctx.em.execute<{ id: string }[]>(
      `insert into assessment.duty_report (unit_id, path, reviewer_id, secretary_id, year, report, submitted_by, submitted_at) values (?, ?::ltree, ?, ?, ?, ?, ?, ?) returning id::text`,
      [i.unitId, unit.path, unit.parentId, i.secretaryMemberId, i.year, report, ctx.principal.sub, iso(ctx.now())]);
    afterWrite(ctx);
    return must(ctx.loaders.dutyReport.load(row!.id), 'DutyReport', row!.id);
  },

  async rateDutyReport(_, a, ctx) {
    const d = await lockReport(ctx, a.reportId);
    const p = ctx.principal;
    if (p.role === 'MEMBER') {
      if (!p.memberId) throw forbidden('Rating a report needs a member token.');
      if (p.memberId === d.secretaryId) throw forbidden('A secretary does not rate their own report.');
    } else {
      requireScope(p, 'assessment:write');
      // The report is visible, so an administrator's unit is the reporting unit or lies above it.
      if (!isAdminRole(p) || (await actingUnit(ctx)) === d.unitId) throw forbidden('The reporting unit does not rate its own secretary; reviewers above it and members do.');
    }
    if (d.state !== 'RATING') throw conflict('The review of this report is closed.');
    const comment = a.comment?.trim() ? text(a.comment, 'comment') : null;
    await ctx.em.execute(
      `insert into assessment.duty_rating (report_id, rater, rating, comment, rated_at) values (?, ?, ?, ?, ?)
       on conflict (report_id, rater) do update set rating = excluded.rating, comment = excluded.comment, rated_at = excluded.rated_at`,
      [d.id, p.sub, a.rating, comment, iso(ctx.now())]);
    afterWrite(ctx);
    return must(ctx.loaders.dutyReport.load(d.id), 'DutyReport', d.id);
  },

  async closeDutyReview(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:write');
    const d = await lockReport(ctx, a.reportId);
    if (!isAdminRole(ctx.principal) || (await actingUnit(ctx)) !== d.reviewerId) throw forbidden('Only the organisation directly above the unit closes the review.');
    if (d.state !== 'RATING') throw conflict('The review of this report is already closed.');
    const score = dutyScore(d.counts);
    if (score === null) throw conflict('No reviewer has rated the report yet.');
    const grade = gradeFor(DUTY_GRADING, score, false, null).grade;
    await ctx.em.execute(`update assessment.duty_report set state = 'CLOSED', score = ?, grade = ?, closed_by = ?, closed_at = ? where id = ?`,
      [score, grade, ctx.principal.sub, iso(ctx.now()), d.id]);
    afterWrite(ctx);
    return must(ctx.loaders.dutyReport.load(d.id), 'DutyReport', d.id);
  },
};
