import DataLoader from 'dataloader';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { byIdLoader, groupLoader, isUuid, sqlArray } from '@trellis/platform';
import type { Dimension, Grading, Period } from './domain/template.ts';
import type { TargetState, Tier } from './domain/campaign.ts';
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

/** Per-request loaders: every relation costs one statement per batch, not per item. */
export function createLoaders(em: SqlEntityManager, metrics: MetricSource, now: () => Date) {
  const ids = (xs: readonly string[]) => sqlArray(xs.filter(isUuid));
  return {
    metrics,
    template: byIdLoader((k) => em.execute<TemplateRow[]>(`select ${TEMPLATE_COLUMNS} from assessment.template t where t.id = any(?::uuid[])`, [ids(k)]), (r) => r.id),
    campaign: byIdLoader((k) => em.execute<CampaignRow[]>(`select ${CAMPAIGN_COLUMNS} from assessment.campaign c where c.id = any(?::uuid[])`, [ids(k)]), (r) => r.id),
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
    /**
     * Progress per (unit, campaign) key: targets under the unit's path counted per state (with
     * overdue ones) and final grades in effect. The campaign defaults to the latest with targets
     * in the subtree. One statement for any number of keys.
     */
    progress: new DataLoader<string, ProgressRow[]>(async (keys) => {
      const pairs = keys.map((k) => k.split('|') as [string, string]);
      const ok = pairs.filter(([u, c]) => isUuid(u) && (c === '' || isUuid(c)));
      const rows = ok.length === 0 ? [] : await em.execute<ProgressRow[]>(
        `with k as (select * from unnest(?::text[], ?::uuid[], ?::text[]) as k(key, unit_id, campaign_id)),
              roots as (
                select k.key, up.path, coalesce(nullif(k.campaign_id, '')::uuid,
                         (select t.campaign_id from assessment.target t join assessment.campaign c on c.id = t.campaign_id
                           where t.path <@ up.path order by c.opened_at desc limit 1)) as campaign_id
                  from k join assessment.unit_path up on up.unit_id = k.unit_id and up.tenant_id = platform.current_tenant()),
              sub as materialized (
                select r.key, t.campaign_id, t.state, t.id,
                       (case t.state when 'SELF_ASSESSMENT' then c.self_assessment_due when 'STREET_REVIEW' then c.street_review_due
                          when 'DISTRICT_REVIEW' then c.district_review_due end) < ?::timestamptz as overdue
                  from roots r join assessment.target t on t.campaign_id = r.campaign_id and t.path <@ r.path
                  join assessment.campaign c on c.id = t.campaign_id)
         select key, campaign_id::text as "campaignId", state, null as grade, count(*)::int as count, count(*) filter (where overdue)::int as overdue
           from sub group by key, campaign_id, state
         union all
         select s.key, s.campaign_id::text, null, coalesce(a.grade, r.grade), count(*)::int, 0
           from sub s join assessment.result r on r.target_id = s.id
           left join lateral (select am.grade from assessment.amendment am where am.target_id = r.target_id order by am.amended_at desc limit 1) a on true
          group by s.key, s.campaign_id, coalesce(a.grade, r.grade)
         union all
         select r.key, r.campaign_id::text, null, null, 0, 0 from roots r where r.campaign_id is not null`,
        [sqlArray(ok.map(([u, c]) => `${u}|${c}`)), sqlArray(ok.map(([u]) => u)), sqlArray(ok.map(([, c]) => c)), now().toISOString()],
      );
      return keys.map((k) => rows.filter((r) => r.key === k));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
