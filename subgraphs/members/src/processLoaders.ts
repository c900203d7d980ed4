import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { byIdLoader, groupLoader, isUuid, sqlArray } from '@trellis/platform';
import type { StoredTransferStatus } from './domain/transfer.ts';
import type { InServiceStatus } from './domain/inService.ts';
import type { MemberRow } from './loaders.ts';
import { DEFAULT_POST_CATEGORIES, DEFAULT_SETTINGS, type ProcessSettings } from './domain/posts.ts';

/** Per-request loaders of the member processes (transfers, in-service reports, posts, cards); one statement per batch. */
export interface TransferRow {
  id: string; tenant_id: string; member_id: string; member_name: string; from_unit_id: string; to_unit_id: string | null; to_tenant_id: string | null;
  status: StoredTransferStatus; reason: string | null; dues_paid_until: string | null; letter_number: string | null; letter_issued_on: string | null;
  letter_expires_on: string | null; receipt_number: string | null; received_on: string | null; initiated_at: Date; completed_at: Date | null;
}
export const TRANSFER_COLUMNS = `t.id::text, t.tenant_id::text, t.member_id::text, t.member_name, t.from_unit_id::text, t.to_unit_id::text, t.to_tenant_id::text,
  t.status, t.reason, t.dues_paid_until, t.letter_number, t.letter_issued_on::text, t.letter_expires_on::text, t.receipt_number, t.received_on::text,
  t.initiated_at, t.completed_at`;

export interface InboxRow {
  id: string; from_tenant_id: string; from_member_id: string; from_organisation: string; name: string; gender: string; birth_date: string;
  ethnicity: string; education: string; phone: string | null; id_card_cipher: string; id_card_masked: string; stage: string;
  applied_on: string | null; activist_on: string | null; target_on: string | null; joined_on: string | null; full_on: string | null; categories: string[];
  letter_number: string; letter_issued_on: string; letter_expires_on: string; dues_paid_until: string | null; reason: string | null;
  status: 'PENDING' | 'ACCEPTED' | 'WITHDRAWN'; accepted_member_id: string | null;
}
export const INBOX_COLUMNS = `i.id::text, i.from_tenant_id::text, i.from_member_id::text, i.from_organisation, i.name, i.gender, i.birth_date::text, i.ethnicity,
  i.education, i.phone, i.id_card_cipher, i.id_card_masked, i.stage, i.applied_on::text, i.activist_on::text, i.target_on::text, i.joined_on::text,
  i.full_on::text, i.categories, i.letter_number, i.letter_issued_on::text, i.letter_expires_on::text, i.dues_paid_until, i.reason, i.status,
  i.accepted_member_id::text`;

export interface ReportRow {
  id: string; member_id: string; member_name: string; employer_unit_id: string; community_id: string; status: InServiceStatus; reported_on: string;
  grid_unit_id: string | null; grid_post: string | null; assigned_on: string | null; serving_since: string | null; ended_on: string | null;
}
export const REPORT_COLUMNS = `r.id::text, r.member_id::text, r.member_name, r.employer_unit_id::text, r.community_id::text, r.status, r.reported_on::text,
  r.grid_unit_id::text, r.grid_post, r.assigned_on::text, r.serving_since::text, r.ended_on::text`;

export interface ProcessStepRow { owner_id: string; from_status: string | null; to_status: string; note: string | null; recorded_by: string; recorded_at: Date }
export interface ClaimRow { id: string; report_id: string; member_id: string; category: string; title: string; status: 'ACTIVE' | 'RELEASED'; claimed_on: string; released_on: string | null }
export const CLAIM_COLUMNS = 'c.id::text, c.report_id::text, c.member_id::text, c.category, c.title, c.status, c.claimed_on::text, c.released_on::text';
export interface ActivityRow { id: string; member_id: string; report_id: string; claim_id: string | null; kind: string; happened_on: string; hours: number; content: string; resident_rating: number | null }
export const ACTIVITY_COLUMNS = 'a.id::text, a.member_id::text, a.report_id::text, a.claim_id::text, a.kind, a.happened_on::text, a.hours::float8 as hours, a.content, a.resident_rating';
export interface FeedbackRow { member_id: string; year: number; quarter: number; contacts: number; activities: number; hours: number; average_rating: number | null; meets_minimum: boolean; comment: string | null; sent_at: Date }
export const FEEDBACK_COLUMNS = 'f.member_id::text, f.year, f.quarter, f.contacts, f.activities, f.hours::float8 as hours, f.average_rating::float8 as average_rating, f.meets_minimum, f.comment, f.sent_at';
export interface EvaluationRow { member_id: string; year: number; grade: string; activities: number; contacts: number; hours: number; comment: string | null; evaluated_at: Date }
/** What the four cards resolve from: the member and the card year. */
export interface CardsView { member: MemberRow; year: number }
export const EVALUATION_COLUMNS = 'e.member_id::text, e.year, e.grade, e.activities, e.contacts, e.hours::float8 as hours, e.comment, e.evaluated_at';

/** `memberId|year` keys: one statement for many members' records of a year. */
const memberYear = (keys: readonly string[]) => {
  const pairs = keys.map((k) => k.split('|') as [string, string]).filter(([id]) => isUuid(id));
  return [sqlArray(pairs.map((p) => p[0])), sqlArray(pairs.map((p) => String(Number(p[1]))))];
};

export function createProcessLoaders(em: SqlEntityManager) {
  let settings: Promise<ProcessSettings> | undefined;
  const steps = (table: string, owner: string) => groupLoader(
    (ids: readonly string[]) => em.execute<ProcessStepRow[]>(
      `select ${owner}::text as owner_id, from_status, to_status, note, recorded_by, recorded_at from members.${table}
        where ${owner} = any(?::uuid[]) order by id`, [sqlArray(ids.filter(isUuid))]),
    (s) => s.owner_id,
  );
  return {
    transfer: byIdLoader(
      (ids) => em.execute<TransferRow[]>(`select ${TRANSFER_COLUMNS} from members.transfer t where t.id = any(?::uuid[])`, [sqlArray(ids.filter(isUuid))]),
      (t) => t.id,
    ),
    transfersByMember: groupLoader(
      (ids: readonly string[]) => em.execute<TransferRow[]>(
        `select ${TRANSFER_COLUMNS} from members.transfer t where t.member_id = any(?::uuid[]) order by t.initiated_at desc, t.id`, [sqlArray(ids.filter(isUuid))]),
      (t) => t.member_id,
    ),
    transferHistory: steps('transfer_step', 'transfer_id'),
    inbox: byIdLoader(
      (ids) => em.execute<InboxRow[]>(`select ${INBOX_COLUMNS} from members.transfer_inbox i where i.id = any(?::uuid[])`, [sqlArray(ids.filter(isUuid))]),
      (i) => i.id,
    ),
    report: byIdLoader(
      (ids) => em.execute<ReportRow[]>(`select ${REPORT_COLUMNS} from members.in_service_report r where r.id = any(?::uuid[])`, [sqlArray(ids.filter(isUuid))]),
      (r) => r.id,
    ),
    reportsByMember: groupLoader(
      (ids: readonly string[]) => em.execute<ReportRow[]>(
        `select ${REPORT_COLUMNS} from members.in_service_report r where r.member_id = any(?::uuid[]) order by r.reported_on desc, r.id`, [sqlArray(ids.filter(isUuid))]),
      (r) => r.member_id,
    ),
    reportHistory: steps('in_service_step', 'report_id'),
    claimsByReport: groupLoader(
      (ids: readonly string[]) => em.execute<ClaimRow[]>(
        `select ${CLAIM_COLUMNS} from members.post_claim c where c.report_id = any(?::uuid[]) and c.status = 'ACTIVE' order by c.claimed_on, c.category`, [sqlArray(ids.filter(isUuid))]),
      (c) => c.report_id,
    ),
    claimsByMember: groupLoader(
      (ids: readonly string[]) => em.execute<ClaimRow[]>(
        `select ${CLAIM_COLUMNS} from members.post_claim c where c.member_id = any(?::uuid[]) and c.status = 'ACTIVE' order by c.claimed_on, c.category`, [sqlArray(ids.filter(isUuid))]),
      (c) => c.member_id,
    ),
    /** Keyed `memberId|year`. */
    activities: groupLoader(
      (keys: readonly string[]) => em.execute<ActivityRow[]>(
        `select ${ACTIVITY_COLUMNS} from unnest(?::uuid[], ?::int[]) as k(member_id, year)
           join members.activity_record a on a.member_id = k.member_id
            and a.happened_on >= make_date(k.year, 1, 1) and a.happened_on < make_date(k.year + 1, 1, 1)
          order by a.happened_on, a.recorded_at, a.id`, memberYear(keys)),
      (a) => `${a.member_id}|${a.happened_on.slice(0, 4)}`,
    ),
    /** Keyed `memberId|year`. */
    feedback: groupLoader(
      (keys: readonly string[]) => em.execute<FeedbackRow[]>(
        `select ${FEEDBACK_COLUMNS} from unnest(?::uuid[], ?::int[]) as k(member_id, year)
           join members.in_service_feedback f on f.member_id = k.member_id and f.year = k.year order by f.quarter, f.sent_at`, memberYear(keys)),
      (f) => `${f.member_id}|${f.year}`,
    ),
    /** Keyed `memberId|year`. */
    evaluations: groupLoader(
      (keys: readonly string[]) => em.execute<EvaluationRow[]>(
        `select ${EVALUATION_COLUMNS} from unnest(?::uuid[], ?::int[]) as k(member_id, year)
           join members.in_service_evaluation e on e.member_id = k.member_id and e.year = k.year order by e.evaluated_at desc`, memberYear(keys)),
      (e) => `${e.member_id}|${e.year}`,
    ),
    /** The tenant's settings, read once per request. */
    settings: () => (settings ??= (async () => {
      const [s] = await em.execute<{ letter_valid_months: number; contacts_per_quarter: number; activities_per_year: number; max_posts_per_member: number }[]>(
        'select letter_valid_months, contacts_per_quarter, activities_per_year, max_posts_per_member from members.process_setting', []);
      const cats = await em.execute<{ code: string; name: string }[]>('select code, name from members.post_category order by position, code', []);
      return {
        letterValidMonths: s?.letter_valid_months ?? DEFAULT_SETTINGS.letterValidMonths,
        contactsPerQuarter: s?.contacts_per_quarter ?? DEFAULT_SETTINGS.contactsPerQuarter,
        activitiesPerYear: s?.activities_per_year ?? DEFAULT_SETTINGS.activitiesPerYear,
        maxPostsPerMember: s?.max_posts_per_member ?? DEFAULT_SETTINGS.maxPostsPerMember,
        postCategories: cats.length ? cats : [...DEFAULT_POST_CATEGORIES],
      };
    })()),
    /** Forgets cached settings after a change in this request. */
    resetSettings: () => { settings = undefined; },
  };
}

export type ProcessLoaders = ReturnType<typeof createProcessLoaders>;

/** Drops every cached process row so an answer after a write shows the new state. */
export function clearProcessLoaders(l: ProcessLoaders): void {
  for (const v of Object.values(l)) if (v && typeof v === 'object' && 'clearAll' in v) v.clearAll();
  l.resetSettings();
}
