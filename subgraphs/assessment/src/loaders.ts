import DataLoader from 'dataloader';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { byIdLoader, groupLoader, groupRows, isUuid, sessionVariables, sqlArray, type Principal, type SummaryCache } from '@trellis/platform';
import type { Dimension, Grading, Period } from './domain/template.ts';
import type { TargetState, Tier } from './domain/campaign.ts';
import type { AppraisalGrade, AppraisalState, DutyGrade, DutyRating } from './domain/appraisal.ts';
import type { MetricSource } from './metrics.ts';

export interface TemplateRow { id: string; key: string; version: number; name: string; period: Period; dimensions: Dimension[]; grading: Grading; createdAt: string }
export interface CampaignRow {
  id: string; templateId: string; ownerUnitId: string; name: string; selfAssessmentDue: string; streetReviewDue: string;
  districtReviewDue: string; noticeDays: number; openedAt: string;
}
export interface TargetRow {
  id: string; campaignId: string; unitId: string; streetId: string; deciderId: string; state: TargetState; stateSince: string;
  proposedScore: number | null; proposedGrade: string | null; proposedStars: number | null; vetoed: boolean; noticeEndsAt: string | null;
  dueAt: string | null;
}
export interface ScoreRow { targetId: string; tier: Tier; indicatorKey: string; points: number; vetoed: boolean; reason: string | null; source: { metric: string; figure: number | null; readAt: string } | null; scoredAt: string }
export interface EvidenceRow { id: string; targetId: string; indicatorKey: string | null; kind: string; title: string; url: string; addedAt: string }
export interface TransitionRow { targetId: string; action: string; from: TargetState | null; to: TargetState; comment: string | null; actor: string; at: string }
export interface ObjectionRow { id: string; targetId: string; text: string; lodgedAt: string; answer: string | null; answeredAt: string | null }
export interface ResultRow {
  targetId: string; campaignId: string; unitId: string; score: number; grade: string; stars: number | null; vetoed: boolean;
  payCoefficient: number | null; finalisedAt: string; rankInStreet: number; rankInDistrict: number;
}
export interface AmendmentRow { targetId: string; score: number; grade: string; reason: string; amendedBy: string; amendedAt: string }
export interface RectificationRow { id: string; targetId: string; dueOn: string; status: 'OPEN' | 'DONE'; followUp: string | null }
export interface ProgressRow { key: string; campaignId: string; state: TargetState | null; grade: string | null; count: number; overdue: number }
/** An entity another subgraph owns, by its key (OrgUnit, Member). */
export interface EntityRef { __typename?: 'OrgUnit' | 'Member'; id: string }
/** Campaign progress as resolved (the campaign itself comes from its loader). */
export interface ProgressView { campaignId: string; targets: number; byState: { state: TargetState; count: number; overdue: number }[]; gradeDistribution: { grade: string; count: number }[] }
export interface AppraisalRow {
  id: string; unitId: string; confirmerId: string; year: number; state: AppraisalState; stateSince: string; excellentMaxShare: number; memberCount: number;
}
export interface MemberAppraisalRow {
  appraisalId: string; memberId: string; year: number; state: AppraisalState; selfAppraisal: string | null; selfGrade: AppraisalGrade | null;
  peer: Partial<Record<AppraisalGrade, number>>; ballot: Partial<Record<AppraisalGrade, number>> | null; proposedGrade: AppraisalGrade | null;
  followUpId: string | null; followUpDueOn: string | null; followUpStatus: 'OPEN' | 'DONE' | null; followUpOutcome: string | null;
}
export interface AppraisalTransitionRow { appraisalId: string; action: string; from: AppraisalState | null; to: AppraisalState; comment: string | null; actor: string; at: string }
export interface DutyReportRow {
  id: string; unitId: string; secretaryId: string; reviewerId: string; year: number; report: string; state: 'RATING' | 'CLOSED'; submittedAt: string;
  counts: Partial<Record<DutyRating, number>>; score: number | null; grade: DutyGrade | null; closedAt: string | null;
}

/** Timestamps as ISO 8601 text: raw statements return PostgreSQL's own text form, which the DateTime scalar rejects. */
const ts = (expr: string) => `to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const TEMPLATE_COLUMNS = `t.id::text, t.key, t.version, t.name, t.period, t.dimensions, t.grading, ${ts('t.created_at')} as "createdAt"`;
export const CAMPAIGN_COLUMNS = `c.id::text, c.template_id::text as "templateId", c.owner_unit_id::text as "ownerUnitId", c.name,
  ${ts('c.self_assessment_due')} as "selfAssessmentDue", ${ts('c.street_review_due')} as "streetReviewDue", ${ts('c.district_review_due')} as "districtReviewDue",
  c.notice_days as "noticeDays", ${ts('c.opened_at')} as "openedAt"`;
/** Needs `join assessment.campaign c on c.id = t.campaign_id`. */
export const TARGET_COLUMNS = `t.id::text, t.campaign_id::text as "campaignId", t.unit_id::text as "unitId", t.street_id::text as "streetId",
  t.decider_id::text as "deciderId", t.state, ${ts('t.state_since')} as "stateSince", t.proposed_score::float8 as "proposedScore",
  t.proposed_grade as "proposedGrade", t.proposed_stars as "proposedStars", t.vetoed, ${ts('t.notice_ends_at')} as "noticeEndsAt",
  ${ts(`case t.state when 'SELF_ASSESSMENT' then c.self_assessment_due when 'STREET_REVIEW' then c.street_review_due
     when 'DISTRICT_REVIEW' then c.district_review_due end`)} as "dueAt"`;
/** Final results with the amendment in effect and ranks over the whole campaign; `?` = target ids. */
const RESULT_SQL = (where: string) => `
  with picked as (select r.target_id from assessment.result r where ${where})
  select r.target_id::text as "targetId", r.campaign_id::text as "campaignId", r.unit_id::text as "unitId",
         coalesce(a.score, r.score)::float8 as score, coalesce(a.grade, r.grade) as grade, case when a.target_id is null then r.stars else a.stars end as stars,
         r.vetoed, (case when a.target_id is null then r.pay_coefficient else a.pay_coefficient end)::float8 as "payCoefficient",
         ${ts('r.finalised_at')} as "finalisedAt", k.rank_in_street as "rankInStreet", k.rank_in_district as "rankInDistrict"
    from assessment.result r
    join assessment.result_ranks(array(select target_id from picked)) k on k.target_id = r.target_id
    left join lateral (select am.* from assessment.amendment am where am.target_id = r.target_id order by am.amended_at desc limit 1) a on true
   order by r.campaign_id, k.rank_in_district, r.unit_id`;

export const APPRAISAL_COLUMNS = `a.id::text, a.unit_id::text as "unitId", a.confirmer_id::text as "confirmerId", a.year, a.state, ${ts('a.state_since')} as "stateSince",
  a.excellent_max_share::float8 as "excellentMaxShare", (select count(*)::int from assessment.appraisal_member m where m.appraisal_id = a.id) as "memberCount"`;
/** Needs `join assessment.appraisal a on a.id = m.appraisal_id`; peer grades counted, raters never shown. */
const MEMBER_APPRAISAL_SQL = (where: string, order: string) => `
  select m.appraisal_id::text as "appraisalId", m.member_id::text as "memberId", a.year, a.state, m.self_summary as "selfAppraisal", m.self_grade as "selfGrade",
         coalesce((select jsonb_object_agg(g.grade, g.n) from (select p.grade, count(*)::int as n from assessment.peer_rating p
                    where p.appraisal_id = m.appraisal_id and p.member_id = m.member_id group by p.grade) g), '{}'::jsonb) as peer,
         m.ballot, m.proposed_grade as "proposedGrade", f.id::text as "followUpId", f.due_on::text as "followUpDueOn", f.status as "followUpStatus", f.outcome as "followUpOutcome"
    from assessment.appraisal_member m join assessment.appraisal a on a.id = m.appraisal_id
    left join assessment.appraisal_follow_up f on f.appraisal_id = m.appraisal_id and f.member_id = m.member_id
   where ${where} order by ${order}`;
export const DUTY_COLUMNS = `d.id::text, d.unit_id::text as "unitId", d.secretary_id::text as "secretaryId", d.reviewer_id::text as "reviewerId", d.year, d.report, d.state,
  ${ts('d.submitted_at')} as "submittedAt", coalesce((select jsonb_object_agg(g.rating, g.n) from (select r.rating, count(*)::int as n from assessment.duty_rating r
    where r.report_id = d.id group by r.rating) g), '{}'::jsonb) as counts, d.score::float8 as score, d.grade, ${ts('d.closed_at')} as "closedAt"`;

/** A progress count as the statement returns it: the deadline of its tier instead of whether it has passed. */
interface CountRow extends Omit<ProgressRow, 'overdue'> { dueAt: string | null }

/**
 * Progress per (unit, campaign) key: counts per state (every target in a state shares its
 * campaign's deadline for that tier) and per grade in effect. A subtree at or above street level
 * sums the maintained per-street summary of the streets in it that the caller can see; a subtree
 * below a street (or a caller scoped below one) counts its few targets directly. The campaign
 * defaults to the latest with targets in the subtree. One statement for any number of keys.
 * Bound parameters: the keys, their unit ids, their campaign ids ('' for the latest).
 */
const PROGRESS_SQL = `with k as (select * from unnest(?::text[], ?::uuid[], ?::text[]) as k(key, unit_id, campaign_id)),
        me as (select coalesce((select assessment.under_street(s.path) from assessment.unit_path s
                                 where s.tenant_id = platform.current_tenant() and s.unit_id = platform.scope_label()::uuid), false) as below),
        roots as materialized (
          select k.key, up.path, nullif(k.campaign_id, '')::uuid as asked, assessment.under_street(up.path) or (select below from me) as direct
            from k join assessment.unit_path up on up.unit_id = k.unit_id and up.tenant_id = platform.current_tenant()),
        -- The streets the caller can see (a city has about a hundred), read once and matched to
        -- the roots in memory; then each street's summary by its key.
        streets as materialized (
          select s.unit_id, s.path from assessment.unit_path s
           where s.tenant_id = platform.current_tenant() and s.kind in ('STREET', 'TOWNSHIP') and platform.in_scope(s.path)),
        counts as (
          select r.key, p.campaign_id, p.state, p.grade, sum(p.count)::int as count
            from roots r
            join streets s on s.path <@ r.path
            join assessment.progress_summary p on p.tenant_id = platform.current_tenant() and p.street_id = s.unit_id
           where not r.direct and (r.asked is null or p.campaign_id = r.asked)
           group by 1, 2, 3, 4 having sum(p.count) > 0
          union all
          select r.key, t.campaign_id, t.state, coalesce(t.final_grade, ''), count(*)::int
            from roots r join assessment.target t on t.path <@ r.path
           where r.direct and (r.asked is null or t.campaign_id = r.asked)
           group by 1, 2, 3, 4),
        chosen as (
          select r.key, coalesce(r.asked, (select c.campaign_id from counts c join assessment.campaign cp on cp.id = c.campaign_id
                                            where c.key = r.key order by cp.opened_at desc, cp.id limit 1)) as campaign_id
            from roots r)
   select ch.key, ch.campaign_id::text as "campaignId", c.state, nullif(c.grade, '') as grade, c.count,
          ${ts(`case c.state when 'SELF_ASSESSMENT' then cp.self_assessment_due when 'STREET_REVIEW' then cp.street_review_due
                       when 'DISTRICT_REVIEW' then cp.district_review_due end`)} as "dueAt"
     from chosen ch join counts c on c.key = ch.key and c.campaign_id = ch.campaign_id join assessment.campaign cp on cp.id = ch.campaign_id
   union all
   select ch.key, ch.campaign_id::text, null, null, 0, null from chosen ch where ch.campaign_id is not null`;

/** Per-request loaders: every relation costs one statement per batch, not per item. */
export function createLoaders(em: SqlEntityManager, metrics: MetricSource, now: () => Date, principal: Principal, cache: SummaryCache) {
  const ids = (xs: readonly string[]) => sqlArray(xs.filter(isUuid));
  // What a unit's progress covers depends on the caller's scope.
  const progressContext = sessionVariables(principal)['app.scope_unit'];
  return {
    metrics,
    template: byIdLoader((k) => em.execute<TemplateRow[]>(`select ${TEMPLATE_COLUMNS} from assessment.template t where t.id = any(?::uuid[])`, [ids(k)]), (r) => r.id),
    /** Campaigns (tenant-wide, fixed once opened) are kept under the summary version too. */
    campaign: new DataLoader<string, CampaignRow | null>(async (keys) => {
      const got = await cache.through(em, 'assessment.summary_version', principal.tenantId, 'campaign', keys.filter(isUuid), async (missing) =>
        new Map((await em.execute<CampaignRow[]>(`select ${CAMPAIGN_COLUMNS} from assessment.campaign c where c.id = any(?::uuid[])`, [ids(missing)])).map((r) => [r.id, r])));
      return keys.map((k) => got.get(k) ?? null);
    }),
    target: byIdLoader((k) => em.execute<TargetRow[]>(
      `select ${TARGET_COLUMNS} from assessment.target t join assessment.campaign c on c.id = t.campaign_id where t.id = any(?::uuid[])`, [ids(k)]), (r) => r.id),
    targetsOfCampaign: groupLoader((k: readonly string[]) => em.execute<TargetRow[]>(
      `select ${TARGET_COLUMNS} from assessment.target t join assessment.campaign c on c.id = t.campaign_id
        where t.campaign_id = any(?::uuid[]) order by t.path`, [ids(k)]), (r) => r.campaignId),
    scores: groupLoader((k: readonly string[]) => em.execute<ScoreRow[]>(
      `select s.target_id::text as "targetId", s.tier, s.indicator_key as "indicatorKey", s.points::float8 as points, s.vetoed, s.reason, s.source,
              ${ts('s.scored_at')} as "scoredAt"
         from assessment.score s where s.target_id = any(?::uuid[]) order by s.tier, s.indicator_key`, [ids(k)]), (r) => r.targetId),
    evidence: groupLoader((k: readonly string[]) => em.execute<EvidenceRow[]>(
      `select e.id::text, e.target_id::text as "targetId", e.indicator_key as "indicatorKey", e.kind, e.title, e.url, ${ts('e.added_at')} as "addedAt"
         from assessment.evidence e where e.target_id = any(?::uuid[]) order by e.added_at, e.id`, [ids(k)]), (r) => r.targetId),
    history: groupLoader((k: readonly string[]) => em.execute<TransitionRow[]>(
      `select x.target_id::text as "targetId", x.action, x.from_state as "from", x.to_state as "to", x.comment, x.actor, ${ts('x.at')} as at
         from assessment.transition x where x.target_id = any(?::uuid[]) order by x.id`, [ids(k)]), (r) => r.targetId),
    objections: groupLoader((k: readonly string[]) => em.execute<ObjectionRow[]>(
      `select o.id::text, o.target_id::text as "targetId", o.text, ${ts('o.lodged_at')} as "lodgedAt", o.answer, ${ts('o.answered_at')} as "answeredAt"
         from assessment.objection o where o.target_id = any(?::uuid[]) order by o.lodged_at, o.id`, [ids(k)]), (r) => r.targetId),
    result: byIdLoader((k) => em.execute<ResultRow[]>(RESULT_SQL('r.target_id = any(?::uuid[])'), [ids(k)]), (r) => r.targetId),
    resultsOfCampaign: groupLoader((k: readonly string[]) => em.execute<ResultRow[]>(RESULT_SQL('r.campaign_id = any(?::uuid[])'), [ids(k)]), (r) => r.campaignId),
    amendments: groupLoader((k: readonly string[]) => em.execute<AmendmentRow[]>(
      `select a.target_id::text as "targetId", a.score::float8 as score, a.grade, a.reason, a.amended_by as "amendedBy", ${ts('a.amended_at')} as "amendedAt"
         from assessment.amendment a where a.target_id = any(?::uuid[]) order by a.amended_at`, [ids(k)]), (r) => r.targetId),
    rectification: byIdLoader((k) => em.execute<RectificationRow[]>(
      `select x.id::text, x.target_id::text as "targetId", x.due_on::text as "dueOn", x.status, x.follow_up as "followUp"
         from assessment.rectification x where x.target_id = any(?::uuid[])`, [ids(k)]), (r) => r.targetId),
    /** The latest final result's target per unit (the result itself comes from `result`). */
    latestResultTarget: byIdLoader((k) => em.execute<{ unitId: string; targetId: string }[]>(
      `select u.id::text as "unitId", l.target_id::text as "targetId" from unnest(?::uuid[]) as u(id)
         cross join lateral (select r.target_id from assessment.result r where r.tenant_id = platform.current_tenant() and r.unit_id = u.id
                              order by r.finalised_at desc limit 1) l`, [ids(k)]), (r) => r.unitId),
    /** Campaign progress per (unit, campaign) key (see PROGRESS_SQL). */
    progress: new DataLoader<string, ProgressRow[]>(async (keys) => {
      const load = async (asked: readonly string[]) => {
        const pairs = asked.map((k) => k.split('|') as [string, string]);
        const ok = pairs.filter(([u, c]) => isUuid(u) && (c === '' || isUuid(c)));
        const rows = ok.length === 0 ? [] : await em.execute<CountRow[]>(PROGRESS_SQL,
          [sqlArray(ok.map(([u, c]) => `${u}|${c}`)), sqlArray(ok.map(([u]) => u)), sqlArray(ok.map(([, c]) => c))]);
        return groupRows(asked, rows, (r) => r.key);
      };
      // The counts are reused while the tenant's campaigns and summaries are unchanged; which of
      // them are overdue is decided now, from the deadline of their tier.
      const counts = await cache.through(em, 'assessment.summary_version', principal.tenantId, progressContext, keys, load);
      const at = now().getTime();
      return keys.map((k) => (counts.get(k) ?? []).map(({ dueAt, ...r }) => ({ ...r, overdue: dueAt !== null && new Date(dueAt).getTime() < at ? r.count : 0 })));
    }),
    appraisal: byIdLoader((k) => em.execute<AppraisalRow[]>(`select ${APPRAISAL_COLUMNS} from assessment.appraisal a where a.id = any(?::uuid[])`, [ids(k)]), (r) => r.id),
    appraisalsOfUnit: groupLoader((k: readonly string[]) => em.execute<AppraisalRow[]>(
      `select ${APPRAISAL_COLUMNS} from assessment.appraisal a where a.tenant_id = platform.current_tenant() and a.unit_id = any(?::uuid[]) order by a.year desc`, [ids(k)]), (r) => r.unitId),
    appraisalMembers: groupLoader((k: readonly string[]) => em.execute<MemberAppraisalRow[]>(
      MEMBER_APPRAISAL_SQL('m.appraisal_id = any(?::uuid[])', 'm.appraisal_id, m.position'), [ids(k)]), (r) => r.appraisalId),
    appraisalsOfMember: groupLoader((k: readonly string[]) => em.execute<MemberAppraisalRow[]>(
      MEMBER_APPRAISAL_SQL('m.tenant_id = platform.current_tenant() and m.member_id = any(?::uuid[])', 'a.year desc, a.id'), [ids(k)]), (r) => r.memberId),
    appraisalHistory: groupLoader((k: readonly string[]) => em.execute<AppraisalTransitionRow[]>(
      `select x.appraisal_id::text as "appraisalId", x.action, x.from_state as "from", x.to_state as "to", x.comment, x.actor, ${ts('x.at')} as at
         from assessment.appraisal_transition x where x.appraisal_id = any(?::uuid[]) order by x.id`, [ids(k)]), (r) => r.appraisalId),
    dutyReport: byIdLoader((k) => em.execute<DutyReportRow[]>(`select ${DUTY_COLUMNS} from assessment.duty_report d where d.id = any(?::uuid[])`, [ids(k)]), (r) => r.id),
    dutyReportsOfUnit: groupLoader((k: readonly string[]) => em.execute<DutyReportRow[]>(
      `select ${DUTY_COLUMNS} from assessment.duty_report d where d.tenant_id = platform.current_tenant() and d.unit_id = any(?::uuid[]) order by d.year desc`, [ids(k)]), (r) => r.unitId),
    dutyReportsOfSecretary: groupLoader((k: readonly string[]) => em.execute<DutyReportRow[]>(
      `select ${DUTY_COLUMNS} from assessment.duty_report d where d.tenant_id = platform.current_tenant() and d.secretary_id = any(?::uuid[]) order by d.year desc, d.id`, [ids(k)]), (r) => r.secretaryId),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
