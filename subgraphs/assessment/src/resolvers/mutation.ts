import type { MutationResolvers } from '../generated/resolvers.ts';
import { badInput, conflict, forbidden, isUuid, notFound, requireScope, sqlArray } from '@trellis/platform';
import { afterWrite, must, type Context } from '../context.ts';
import { sendBackFrom } from '../domain/flow.ts';
import { TARGET_FLOW, requireTier, type Role, type TargetAuthority, type TargetState, type Tier } from '../domain/campaign.ts';
import { computedPoints, gradeFor, lowestGrade, requireQuota, totalScore, type IndicatorPoints } from '../domain/grading.ts';
import { checkDimensions, checkGrading, indicatorsOf, metricsOf, type Indicator } from '../domain/template.ts';
import { TARGET_COLUMNS, type TargetRow, type TemplateRow } from '../loaders.ts';
import { payCoefficients } from './query.ts';

interface ScoreInput { indicatorKey: string; points?: number | null; met?: boolean | null; reason?: string | null }

const iso = (d: Date) => d.toISOString();
const text = (v: string | null | undefined, field: string, max = 2000): string => {
  const t = (v ?? '').trim();
  if (t.length < 1 || t.length > max) throw badInput(`${field} must have 1 to ${max} characters.`, field);
  return t;
};

/** The unit the caller acts for: its scope unit, or the tenant's root for a city administrator. */
export async function actingUnit(ctx: Context): Promise<string | null> {
  const p = ctx.principal;
  if (p.role === 'INTEGRATOR' || p.role === 'MEMBER') return null;
  if (p.scopeUnitId) return p.scopeUnitId;
  const rows = await ctx.em.execute<{ id: string }[]>('select unit_id::text as id from assessment.unit_path where parent_id is null limit 1');
  return rows[0]?.id ?? null;
}

/**
 * The target's reviewers, read under the caller's scope: a target the caller cannot see is
 * NOT_FOUND whether or not it exists (existence does not leak across streets); a visible one
 * acted on by the wrong tier is FORBIDDEN (requireTier).
 */
async function authority(ctx: Context, id: string): Promise<TargetAuthority> {
  if (!isUuid(id)) throw notFound('AssessmentTarget', id);
  const rows = await ctx.em.execute<{ unit_id: string; street_id: string; decider_id: string; state: TargetState }[]>(
    'select unit_id::text, street_id::text, decider_id::text, state from assessment.target where id = ?', [id]);
  if (!rows[0]) throw notFound('AssessmentTarget', id);
  return { unitId: rows[0].unit_id, streetId: rows[0].street_id, deciderId: rows[0].decider_id, state: rows[0].state };
}

interface Locked { target: TargetRow; template: TemplateRow; noticeDays: number; templateKey: string }

/** Checks the caller's tier and the target's state, then locks the target for this transaction. */
async function act(ctx: Context, id: string, role: Role, expected: TargetState[], what: string): Promise<Locked> {
  requireScope(ctx.principal, 'assessment:write');
  const auth = await authority(ctx, id);
  requireTier(auth, await actingUnit(ctx), role, expected, what);
  const rows = await ctx.em.execute<(TargetRow & { templateId: string; noticeDays: number })[]>(
    `select ${TARGET_COLUMNS}, c.template_id::text as "templateId", c.notice_days as "noticeDays"
       from assessment.target t join assessment.campaign c on c.id = t.campaign_id where t.id = ? for update of t`, [id]);
  if (!rows[0]) throw notFound('AssessmentTarget', id);
  // Re-check under the lock: a concurrent transition may have moved it.
  if (!expected.includes(rows[0].state)) throw conflict(`Cannot ${what}: the target has just moved on.`);
  const template = (await ctx.loaders.template.load(rows[0].templateId))!;
  return { target: rows[0], template, noticeDays: rows[0].noticeDays, templateKey: template.key };
}

async function transition(ctx: Context, targetId: string, action: string, from: TargetState | null, to: TargetState, comment: string | null) {
  await ctx.em.execute(
    `insert into assessment.transition (target_id, action, from_state, to_state, comment, actor, at) values (?, ?, ?, ?, ?, ?, ?)`,
    [targetId, action, from, to, comment, ctx.principal.sub, iso(ctx.now())]);
}

async function moveTo(ctx: Context, t: TargetRow, to: TargetState, action: string, comment: string | null, extra: { score?: number | null; grade?: string | null; stars?: number | null; vetoed?: boolean; noticeEndsAt?: Date | null } = {}) {
  await ctx.em.execute(
    `update assessment.target set state = ?, state_since = ?, proposed_score = ?, proposed_grade = ?, proposed_stars = ?, vetoed = ?, notice_ends_at = ?, final_grade = ? where id = ?`,
    [to, iso(ctx.now()), extra.score ?? null, extra.grade ?? null, extra.stars ?? null, extra.vetoed ?? false, extra.noticeEndsAt ? iso(extra.noticeEndsAt) : null,
      to === 'FINAL' ? extra.grade ?? null : null, t.id]);
  await transition(ctx, t.id, action, t.state, to, comment);
}

/**
 * Scores every indicator for one tier. Computed indicators are read now and frozen with their
 * figures; the others come from the input or, for reviewers, from the tier below (a reviewer's
 * change needs a reason). Replaces what the tier scored before a send-back.
 */
async function scoreTier(ctx: Context, locked: Locked, tier: Tier, input: ScoreInput[], base: Tier | null): Promise<IndicatorPoints[]> {
  const indicators = indicatorsOf(locked.template.dimensions);
  const byKey = new Map(indicators.map((i) => [i.key, i]));
  const given = new Map<string, ScoreInput>();
  for (const [n, s] of input.entries()) {
    const ind = byKey.get(s.indicatorKey);
    if (!ind) throw badInput(`The template has no indicator "${s.indicatorKey}".`, `scores.${n}.indicatorKey`);
    if (ind.kind === 'COMPUTED') throw badInput(`"${ind.name}" is computed from platform figures and cannot be scored by hand.`, `scores.${n}`);
    if (given.has(s.indicatorKey)) throw badInput(`"${ind.name}" is scored twice.`, `scores.${n}`);
    given.set(s.indicatorKey, s);
  }
  const below = new Map<string, { points: number; vetoed: boolean }>();
  if (base) {
    for (const s of await ctx.em.execute<{ indicator_key: string; points: number; vetoed: boolean }[]>(
      'select indicator_key, points::float8 as points, vetoed from assessment.score where target_id = ? and tier = ?', [locked.target.id, base])) {
      below.set(s.indicator_key, s);
    }
  }
  const metrics = metricsOf(locked.template.dimensions);
  const readAt = ctx.now();
  const figures = metrics.length
    ? (await ctx.loaders.metrics.figures({ id: ctx.principal.tenantId, slug: ctx.principal.tenantSlug }, [locked.target.unitId], metrics))[locked.target.unitId] ?? {}
    : {};
  const rows: { key: string; points: number; vetoed: boolean; reason: string | null; source: string | null }[] = [];
  for (const ind of indicators) {
    if (ind.kind === 'COMPUTED') {
      const figure = figures[ind.metric!] ?? null;
      rows.push({ key: ind.key, points: computedPoints(ind, figure), vetoed: false, reason: null, source: JSON.stringify({ metric: ind.metric, figure, readAt: iso(readAt) }) });
      continue;
    }
    const s = given.get(ind.key);
    const prev = below.get(ind.key);
    if (!s) {
      if (!prev) throw badInput(`"${ind.name}" (${ind.key}) needs a score.`, 'scores');
      rows.push({ key: ind.key, points: prev.points, vetoed: prev.vetoed, reason: null, source: null });
      continue;
    }
    const { points, vetoed } = pointsOf(ind, s);
    const reason = s.reason?.trim() || null;
    if (prev && (prev.points !== points || prev.vetoed !== vetoed) && !reason) {
      throw badInput(`Changing "${ind.name}" from the ${base === 'SELF' ? 'self-assessment' : 'street review'} needs a reason.`, 'scores');
    }
    rows.push({ key: ind.key, points, vetoed, reason, source: null });
  }
  await ctx.em.execute('delete from assessment.score where target_id = ? and tier = ?', [locked.target.id, tier]);
  await ctx.em.execute(
    `insert into assessment.score (target_id, tier, indicator_key, points, vetoed, reason, source, scored_by, scored_at)
     select ?, ?, k, p, v, r, s::jsonb, ?, ? from unnest(?::text[], ?::numeric[], ?::boolean[], ?::text[], ?::text[]) as x(k, p, v, r, s)`,
    [locked.target.id, tier, ctx.principal.sub, iso(readAt), sqlArray(rows.map((r) => r.key)), sqlArray(rows.map((r) => String(r.points))),
      sqlArray(rows.map((r) => String(r.vetoed))), nullableArray(rows.map((r) => r.reason)), nullableArray(rows.map((r) => r.source))]);
  return rows.map((r) => ({ key: r.key, points: r.points, vetoed: r.vetoed }));
}

/** An array literal whose nulls stay NULL (sqlArray quotes every element). */
const nullableArray = (xs: (string | null)[]) => `{${xs.map((x) => (x === null ? 'NULL' : `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;

function pointsOf(ind: Indicator, s: ScoreInput): { points: number; vetoed: boolean } {
  if (ind.kind === 'VETO') {
    if (s.met == null) throw badInput(`Veto item "${ind.name}" needs met: true (triggered) or false.`, 'scores');
    return { points: 0, vetoed: s.met };
  }
  if (ind.kind === 'YES_NO') {
    if (s.met == null) throw badInput(`"${ind.name}" is a yes/no indicator: give met.`, 'scores');
    return { points: s.met ? ind.max : 0, vetoed: false };
  }
  if (s.points == null || !(s.points >= 0 && s.points <= ind.max)) throw badInput(`"${ind.name}" takes points from 0 to ${ind.max}.`, 'scores');
  return { points: Math.round(s.points * 100) / 100, vetoed: false };
}

async function reloadTarget(ctx: Context, id: string) {
  afterWrite(ctx);
  return must(ctx.loaders.target.load(id), 'AssessmentTarget', id);
}

/** The previous final grade in effect of the unit under the same template key (for one-step promotion). */
async function previousGrade(ctx: Context, t: TargetRow, templateKey: string): Promise<string | null> {
  const rows = await ctx.em.execute<{ grade: string }[]>(
    `select coalesce((select a.grade from assessment.amendment a where a.target_id = r.target_id order by a.amended_at desc limit 1), r.grade) as grade
       from assessment.result r join assessment.campaign c on c.id = r.campaign_id join assessment.template tp on tp.id = c.template_id
      where r.tenant_id = platform.current_tenant() and r.unit_id = ? and r.campaign_id <> ? and tp.key = ?
      order by r.finalised_at desc limit 1`, [t.unitId, t.campaignId, templateKey]);
  return rows[0]?.grade ?? null;
}

export const mutationResolvers: MutationResolvers = {
  async createAssessmentTemplate(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:write');
    if (ctx.principal.role !== 'CITY_ADMIN' && ctx.principal.role !== 'DISTRICT_ADMIN') throw forbidden('Only city or district administrators define assessment templates.');
    const key = a.input.key.trim();
    if (!/^[A-Za-z0-9_.-]{1,60}$/.test(key)) throw badInput('The template key may hold only letters, digits, "_", "." and "-" (1 to 60).', 'input.key');
    const name = text(a.input.name, 'input.name', 100);
    const dimensions = checkDimensions(a.input.dimensions);
    const grading = checkGrading(a.input.grading);
    // Refuse now, not when a tier scores: a metric the supergraph lacks could never be read.
    await ctx.loaders.metrics.check({ id: ctx.principal.tenantId, slug: ctx.principal.tenantSlug }, metricsOf(dimensions));
    await ctx.em.execute('select pg_advisory_xact_lock(hashtext(?))', [`assessment.template:${ctx.principal.tenantId}:${key}`]);
    const rows = await ctx.em.execute<{ id: string }[]>(
      `insert into assessment.template (key, version, name, period, dimensions, grading, created_by, created_at)
       select ?, coalesce(max(version), 0) + 1, ?, ?, ?::jsonb, ?::jsonb, ?, ? from assessment.template where key = ? returning id::text`,
      [key, name, a.input.period, JSON.stringify(dimensions), JSON.stringify(grading), ctx.principal.sub, iso(ctx.now()), key]);
    afterWrite(ctx);
    return must(ctx.loaders.template.load(rows[0]!.id), 'AssessmentTemplate', rows[0]!.id);
  },

  async openAssessmentCampaign(_, a, ctx) {
    const i = a.input;
    requireScope(ctx.principal, 'assessment:write');
    if (ctx.principal.role !== 'CITY_ADMIN' && ctx.principal.role !== 'DISTRICT_ADMIN') throw forbidden('Only a city or district opens an assessment campaign.');
    const template = await ctx.loaders.template.load(i.templateId);
    if (!template) throw notFound('AssessmentTemplate', i.templateId);
    const name = text(i.name, 'input.name', 100);
    const noticeDays = i.noticeDays ?? 5;
    if (!(Number.isInteger(noticeDays) && noticeDays >= 1 && noticeDays <= 30)) throw badInput('The public notice lasts 1 to 30 days.', 'input.noticeDays');
    if (!(i.selfAssessmentDue <= i.streetReviewDue && i.streetReviewDue <= i.districtReviewDue)) throw badInput('Deadlines must follow the tiers: self-assessment, then street review, then district decision.', 'input.streetReviewDue');
    if (i.selfAssessmentDue <= ctx.now()) throw badInput('The self-assessment deadline must lie in the future.', 'input.selfAssessmentDue');
    const owner = isUuid(i.organisationId)
      ? (await ctx.em.execute<{ path: string; visible: boolean }[]>('select path::text, platform.in_scope(path) as visible from assessment.unit_path where unit_id = ?', [i.organisationId]))[0]
      : undefined;
    if (!owner?.visible) throw notFound('OrgUnit', i.organisationId);
    const ids = [...new Set(i.targetUnitIds)];
    if (ids.length === 0) throw badInput('A campaign needs at least one target unit.', 'input.targetUnitIds');
    if (!ids.every(isUuid)) throw badInput('Every target unit id must be a UUID.', 'input.targetUnitIds');
    const units = await ctx.em.execute<{ unit_id: string; name: string; under: boolean; street: string | null; decider: string | null }[]>(
      `select u.unit_id::text, u.name, u.path <@ ?::ltree and u.unit_id <> ?::uuid as under,
              (select s.unit_id::text from assessment.unit_path s where s.path @> u.path and s.unit_id <> u.unit_id and s.kind in ('STREET', 'TOWNSHIP')
                order by nlevel(s.path) desc limit 1) as street,
              (select d.unit_id::text from assessment.unit_path d where d.path @> u.path and d.unit_id <> u.unit_id and d.kind in ('DISTRICT', 'COUNTY_COMMITTEE', 'CITY_COMMITTEE')
                order by nlevel(d.path) desc limit 1) as decider
         from assessment.unit_path u where u.unit_id = any(?::uuid[])`, [owner.path, i.organisationId, sqlArray(ids)]);
    const found = new Map(units.map((u) => [u.unit_id, u]));
    for (const id of ids) {
      const u = found.get(id);
      if (!u) throw badInput(`Target unit ${id} is not a known organisation unit.`, 'input.targetUnitIds');
      if (!u.under) throw badInput(`${u.name} does not lie under the organisation opening the campaign.`, 'input.targetUnitIds');
      if (!u.street || !u.decider) throw badInput(`${u.name} has no street (or township) and district above it to review it.`, 'input.targetUnitIds');
    }
    const now = iso(ctx.now());
    const [campaign] = await ctx.em.execute<{ id: string }[]>(
      `insert into assessment.campaign (template_id, owner_unit_id, name, self_assessment_due, street_review_due, district_review_due, notice_days, opened_by, opened_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id::text`,
      [template.id, i.organisationId, name, iso(i.selfAssessmentDue), iso(i.streetReviewDue), iso(i.districtReviewDue), noticeDays, ctx.principal.sub, now]);
    // Two statements: the transition policy checks the target exists, which a CTE's own insert cannot see.
    await ctx.em.execute(
      `insert into assessment.target (campaign_id, unit_id, path, street_id, decider_id, state_since)
       select ?, u.unit_id, u.path, x.street, x.decider, ? from unnest(?::uuid[], ?::uuid[], ?::uuid[]) as x(unit_id, street, decider)
         join assessment.unit_path u on u.unit_id = x.unit_id and u.tenant_id = platform.current_tenant()`,
      [campaign!.id, now, sqlArray(ids), sqlArray(ids.map((id) => found.get(id)!.street!)), sqlArray(ids.map((id) => found.get(id)!.decider!))]);
    await ctx.em.execute(
      `insert into assessment.transition (target_id, action, from_state, to_state, actor, at)
       select id, 'OPEN', null, 'SELF_ASSESSMENT', ?, ? from assessment.target where campaign_id = ?`, [ctx.principal.sub, now, campaign!.id]);
    afterWrite(ctx);
    return must(ctx.loaders.campaign.load(campaign!.id), 'AssessmentCampaign', campaign!.id);
  },

  async submitSelfAssessment(_, a, ctx) {
    const locked = await act(ctx, a.targetId, 'UNIT', ['SELF_ASSESSMENT'], 'submit the self-assessment');
    await scoreTier(ctx, locked, 'SELF', a.scores, null);
    for (const [n, e] of (a.evidence ?? []).entries()) {
      if (e.indicatorKey && !indicatorsOf(locked.template.dimensions).some((i) => i.key === e.indicatorKey)) throw badInput(`The template has no indicator "${e.indicatorKey}".`, `evidence.${n}.indicatorKey`);
      if (!/^(https?|s3):\/\/\S+$/.test(e.url)) throw badInput('Evidence needs an http, https or s3 address.', `evidence.${n}.url`);
      await ctx.em.execute('insert into assessment.evidence (target_id, indicator_key, kind, title, url, added_by, added_at) values (?, ?, ?, ?, ?, ?, ?)',
        [a.targetId, e.indicatorKey ?? null, e.kind, text(e.title, `evidence.${n}.title`, 200), e.url, ctx.principal.sub, iso(ctx.now())]);
    }
    await moveTo(ctx, locked.target, 'STREET_REVIEW', 'SUBMIT', null);
    return reloadTarget(ctx, a.targetId);
  },

  async submitStreetReview(_, a, ctx) {
    const locked = await act(ctx, a.targetId, 'STREET', ['STREET_REVIEW'], 'review as the street');
    await scoreTier(ctx, locked, 'STREET', a.scores ?? [], 'SELF');
    await moveTo(ctx, locked.target, 'DISTRICT_REVIEW', 'REVIEW', a.comment?.trim() || null);
    return reloadTarget(ctx, a.targetId);
  },

  async decideAssessment(_, a, ctx) {
    const locked = await act(ctx, a.targetId, 'DECIDER', ['DISTRICT_REVIEW'], 'decide the grade');
    const t = locked.target;
    const points = await scoreTier(ctx, locked, 'DISTRICT', a.scores ?? [], 'STREET');
    const { score, vetoed } = totalScore(indicatorsOf(locked.template.dimensions), points);
    const band = gradeFor(locked.template.grading, score, vetoed, await previousGrade(ctx, t, locked.templateKey));
    if (band.maxShare !== null) {
      // Decisions of one decider in one campaign are serialised so two cannot both take the last place.
      await ctx.em.execute('select pg_advisory_xact_lock(hashtext(?))', [`assessment.quota:${t.campaignId}:${t.deciderId}`]);
      const [c] = await ctx.em.execute<{ total: number; taken: number }[]>(
        `select count(*)::int as total, count(*) filter (where state in ('NOTICE', 'FINAL') and proposed_grade = ? and id <> ?)::int as taken
           from assessment.target where campaign_id = ? and decider_id = ?`, [band.grade, t.id, t.campaignId, t.deciderId]);
      requireQuota(band, c!.total, c!.taken + 1, 'targets this organisation decides',
        `${c!.taken} already hold it. Adjust the scores with a reason or decide another grade.`);
    }
    const noticeEndsAt = new Date(ctx.now().getTime() + locked.noticeDays * 86_400_000);
    await moveTo(ctx, t, 'NOTICE', 'DECIDE', a.comment?.trim() || null, { score, grade: band.grade, stars: band.stars, vetoed, noticeEndsAt });
    return reloadTarget(ctx, a.targetId);
  },

  async sendBackAssessment(_, a, ctx) {
    const comment = text(a.comment, 'comment');
    const auth = await authority(ctx, a.targetId);
    const { to, role } = sendBackFrom(TARGET_FLOW, auth.state,
      auth.state === 'FINAL' ? 'A final result cannot be sent back; record an amendment instead.' : 'A self-assessment has no tier below to send it back to.');
    const locked = await act(ctx, a.targetId, role, [auth.state], 'send it back');
    await moveTo(ctx, locked.target, to, 'SEND_BACK', comment);
    return reloadTarget(ctx, a.targetId);
  },

  async lodgeObjection(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    const t = await ctx.loaders.target.load(a.targetId);
    if (!t) throw notFound('AssessmentTarget', a.targetId);
    if (t.state !== 'NOTICE' || !t.noticeEndsAt || ctx.now() >= new Date(t.noticeEndsAt)) throw conflict('Objections can be lodged only while the result is on public notice.');
    const [o] = await ctx.em.execute<{ id: string }[]>('insert into assessment.objection (target_id, text, lodged_by, lodged_at) values (?, ?, ?, ?) returning id::text',
      [t.id, text(a.text, 'text'), ctx.principal.sub, iso(ctx.now())]);
    afterWrite(ctx);
    return (await ctx.loaders.objections.load(t.id)).find((x) => x.id === o!.id)!;
  },

  async answerObjection(_, a, ctx) {
    const answer = text(a.answer, 'answer');
    if (!isUuid(a.objectionId)) throw notFound('Objection', a.objectionId);
    const [o] = await ctx.em.execute<{ target_id: string; answered: boolean }[]>('select target_id::text, answer is not null as answered from assessment.objection where id = ?', [a.objectionId]);
    if (!o) throw notFound('Objection', a.objectionId);
    await act(ctx, o.target_id, 'DECIDER', ['NOTICE', 'DISTRICT_REVIEW'], 'answer an objection');
    if (o.answered) throw conflict('This objection has already been answered.');
    await ctx.em.execute('update assessment.objection set answer = ?, answered_by = ?, answered_at = ? where id = ?', [answer, ctx.principal.sub, iso(ctx.now()), a.objectionId]);
    afterWrite(ctx);
    return (await ctx.loaders.objections.load(o.target_id)).find((x) => x.id === a.objectionId)!;
  },

  async finaliseAssessment(_, a, ctx) {
    const locked = await act(ctx, a.targetId, 'DECIDER', ['NOTICE'], 'finalise the result');
    const t = locked.target;
    if (ctx.now() < new Date(t.noticeEndsAt!)) throw conflict(`The public notice runs until ${new Date(t.noticeEndsAt!).toISOString()}; the result can be finalised after it ends.`);
    const [open] = await ctx.em.execute<{ n: number }[]>('select count(*)::int as n from assessment.objection where target_id = ? and answer is null', [t.id]);
    if (open!.n > 0) throw conflict(`${open!.n} objection(s) are still unanswered; answer every objection before finalising.`);
    const coefficient = (await payCoefficients(ctx))[t.proposedGrade!] ?? null;
    const now = ctx.now();
    await ctx.em.execute(
      `insert into assessment.result (target_id, campaign_id, unit_id, path, street_id, decider_id, score, grade, stars, vetoed, pay_coefficient, finalised_at)
       select id, campaign_id, unit_id, path, street_id, decider_id, proposed_score, proposed_grade, proposed_stars, vetoed, ?, ? from assessment.target where id = ?`,
      [coefficient, iso(now), t.id]);
    await moveTo(ctx, t, 'FINAL', 'FINALISE', null, { score: t.proposedScore, grade: t.proposedGrade, stars: t.proposedStars, vetoed: t.vetoed, noticeEndsAt: t.noticeEndsAt ? new Date(t.noticeEndsAt) : null });
    if (t.proposedGrade === lowestGrade(locked.template.grading)) {
      const due = new Date(now.getTime() + locked.template.grading.rectificationDays * 86_400_000).toISOString().slice(0, 10);
      await ctx.em.execute('insert into assessment.rectification (target_id, due_on) values (?, ?)', [t.id, due]);
    }
    await ctx.em.execute(`select events.publish('assessment.result.finalised', ?::jsonb)`, [JSON.stringify({
      campaignId: t.campaignId, targetUnitId: t.unitId, score: t.proposedScore, grade: t.proposedGrade, stars: t.proposedStars,
      payCoefficient: coefficient, finalisedAt: iso(now),
    })]);
    return reloadTarget(ctx, a.targetId);
  },

  async amendAssessmentResult(_, a, ctx) {
    const reason = text(a.reason, 'reason');
    if (!(a.score >= 0 && a.score <= 100)) throw badInput('A score lies between 0 and 100.', 'score');
    const locked = await act(ctx, a.targetId, 'DECIDER', ['FINAL'], 'amend the result');
    const [r] = await ctx.em.execute<{ vetoed: boolean }[]>('select vetoed from assessment.result where target_id = ?', [a.targetId]);
    const band = gradeFor(locked.template.grading, a.score, r!.vetoed, null);
    const coefficient = (await payCoefficients(ctx))[band.grade] ?? null;
    await ctx.em.execute('insert into assessment.amendment (target_id, score, grade, stars, pay_coefficient, reason, amended_by, amended_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
      [a.targetId, Math.round(a.score * 100) / 100, band.grade, band.stars, coefficient, reason, ctx.principal.sub, iso(ctx.now())]);
    await transition(ctx, a.targetId, 'AMEND', 'FINAL', 'FINAL', reason);
    afterWrite(ctx);
    return must(ctx.loaders.result.load(a.targetId), 'AssessmentResult', a.targetId);
  },

  async closeRectification(_, a, ctx) {
    const followUp = text(a.followUp, 'followUp');
    if (!isUuid(a.id)) throw notFound('Rectification', a.id);
    const [x] = await ctx.em.execute<{ target_id: string; status: string }[]>('select target_id::text, status from assessment.rectification where id = ?', [a.id]);
    if (!x) throw notFound('Rectification', a.id);
    await act(ctx, x.target_id, 'STREET', ['FINAL'], 'close the rectification');
    if (x.status !== 'OPEN') throw conflict('This rectification is already closed.');
    await ctx.em.execute(`update assessment.rectification set status = 'DONE', follow_up = ?, closed_by = ?, closed_at = ? where id = ?`, [followUp, ctx.principal.sub, iso(ctx.now()), a.id]);
    afterWrite(ctx);
    return must(ctx.loaders.rectification.load(x.target_id), 'Rectification', x.target_id);
  },

  async setPayCoefficients(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:write');
    if (ctx.principal.role !== 'CITY_ADMIN') throw forbidden('Only city administrators set the pay coefficient table.');
    const table: Record<string, number> = {};
    for (const [n, c] of a.coefficients.entries()) {
      if (!/^[A-Z0-9_]{1,30}$/.test(c.grade)) throw badInput(`Grade code "${c.grade}" must be upper-case letters, digits or "_".`, `coefficients.${n}.grade`);
      if (!(c.coefficient >= 0 && c.coefficient <= 5)) throw badInput('A pay coefficient lies between 0 and 5.', `coefficients.${n}.coefficient`);
      table[c.grade] = c.coefficient;
    }
    await ctx.em.execute(
      `insert into assessment.tenant_settings (pay_coefficients, updated_by, updated_at) values (?::jsonb, ?, ?)
       on conflict (tenant_id) do update set pay_coefficients = excluded.pay_coefficients, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [JSON.stringify(table), ctx.principal.sub, iso(ctx.now())]);
    return Object.entries(table).map(([grade, coefficient]) => ({ grade, coefficient }));
  },
};

