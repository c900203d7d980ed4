import { randomUUID } from 'node:crypto';
import { badInput, conflict, notFound, requireScope, sqlArray } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { localDate } from '../domain/age.ts';
import { blindIndex, encrypt, maskIdCard, parseIdCard } from '../domain/personalData.ts';
import { STAGE_DATE_COLUMN, checkStep, probationEnds, type Stage } from '../domain/recruitment.ts';
import { MEMBER_COLUMNS, type MemberRow } from '../loaders.ts';

interface CreateInput {
  orgUnitId: string; name: string; idCardNumber: string; gender?: string | null; birthDate?: Date | string | null; ethnicity?: string | null;
  education: string; phone?: string | null; stage: Stage; stageSince: Date | string; joinedOn?: Date | string | null;
  categories?: string[] | null; flags?: string[] | null; reportedInCommunityId?: string | null;
}
interface UpdateInput { name?: string | null; phone?: string | null; education?: string | null; categories?: string[] | null; flags?: string[] | null; reportedInCommunityId?: string | null }
interface StepInput { to: Stage; on: Date | string; approvedBy?: string | null; note?: string | null }

/** Date inputs arrive as JS Dates (UTC midnight) from the Date scalar; the domain works on `YYYY-MM-DD`. */
const day = (v: Date | string): string => (v instanceof Date ? v.toISOString().slice(0, 10) : v);
const dayOrNull = (v: Date | string | null | undefined) => (v == null ? null : day(v));

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const dedupe = (xs: string[] | null | undefined) => (xs ? [...new Set(xs)] : undefined);

function checkName(name: string, field: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 50) throw badInput('The name must have 1 to 50 characters.', field);
  return n;
}
function checkPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  const p = phone.trim();
  if (!/^[0-9+ -]{5,20}$/.test(p)) throw badInput('The phone number may hold only digits, spaces, + and - (5 to 20 characters).', 'input.phone');
  return p;
}

/** A unit the caller may use: known to this service, in the tenant and inside the caller's scope; NOT_FOUND otherwise. */
async function requireUnit(ctx: Context, id: string, what: string): Promise<void> {
  if (!isUuid(id)) throw notFound(what, id);
  const rows = await ctx.em.execute<{ visible: boolean }[]>('select platform.in_scope(path) as visible from members.unit_path where unit_id = ?', [id]);
  if (!rows[0]?.visible) throw notFound(what, id);
}

/** The member locked for this transaction, or NOT_FOUND (absent, another tenant's, or outside scope). */
async function lockMember(ctx: Context, id: string): Promise<MemberRow> {
  if (!isUuid(id)) throw notFound('Member', id);
  const rows = await ctx.em.execute<MemberRow[]>(`select ${MEMBER_COLUMNS} from members.member m where m.id = ? for update`, [id]);
  if (!rows[0]) throw notFound('Member', id);
  return rows[0];
}

const isDuplicateIdCard = (e: unknown) => {
  for (let cur = e as { code?: string; constraint?: string; message?: string; cause?: unknown } | undefined, i = 0; cur && i < 5; cur = cur.cause as typeof cur, i++) {
    if (cur.code === '23505' && (cur.constraint === 'member_id_card' || cur.message?.includes('member_id_card'))) return true;
  }
  return false;
};

async function reload(ctx: Context, id: string) {
  afterWrite(ctx);
  const row = await ctx.loaders.member.load(id);
  if (!row) throw notFound('Member', id);
  return row;
}

export const mutationResolvers = {
  async createMember(_: unknown, { input: raw }: { input: CreateInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const input = { ...raw, birthDate: dayOrNull(raw.birthDate), stageSince: day(raw.stageSince), joinedOn: dayOrNull(raw.joinedOn) };
    const today = localDate(ctx.now());
    const name = checkName(input.name, 'input.name');
    const id = parseIdCard(input.idCardNumber);
    if (input.birthDate && input.birthDate !== id.birthDate) throw badInput(`The birth date ${input.birthDate} does not match the ID card number, which encodes ${id.birthDate}.`, 'input.birthDate');
    if (input.gender && input.gender !== id.gender) throw badInput(`The gender ${input.gender} does not match the ID card number, which encodes ${id.gender}.`, 'input.gender');
    if (input.stageSince > today) throw badInput(`stageSince ${input.stageSince} is in the future.`, 'input.stageSince');
    if (input.stageSince < id.birthDate) throw badInput('stageSince is before the birth date.', 'input.stageSince');
    const categories = dedupe(input.categories) ?? [];
    if (input.reportedInCommunityId && !categories.includes('IN_SERVICE')) throw badInput('Only IN_SERVICE members report in to a community (双报到); add the IN_SERVICE category or omit reportedInCommunityId.', 'input.reportedInCommunityId');
    let joinedOn: string | null = null;
    let fullOn: string | null = null;
    if (input.stage === 'PROBATIONARY') joinedOn = input.stageSince;
    if (input.stage === 'FULL') {
      if (!input.joinedOn) throw badInput('A FULL member needs joinedOn (入党日期, the admission date); stageSince is the date of becoming full.', 'input.joinedOn');
      joinedOn = input.joinedOn;
      fullOn = input.stageSince;
      if (fullOn < probationEnds(joinedOn)) throw badInput(`Probation lasts one year: admitted on ${joinedOn}, the member can be FULL from ${probationEnds(joinedOn)}.`, 'input.stageSince');
    } else if (input.joinedOn) throw badInput('joinedOn is only for members registered as FULL.', 'input.joinedOn');
    await requireUnit(ctx, input.orgUnitId, 'OrgUnit');
    if (input.reportedInCommunityId) await requireUnit(ctx, input.reportedInCommunityId, 'OrgUnit');

    const memberId = randomUUID();
    const tenant = ctx.principal.tenantId;
    const dateColumn = STAGE_DATE_COLUMN[input.stage];
    const dates: Record<string, string | null> = { applied_on: null, activist_on: null, target_on: null, joined_on: joinedOn, full_on: fullOn };
    if (dateColumn !== 'joined_on' && dateColumn !== 'full_on') dates[dateColumn] = input.stageSince;
    try {
      await ctx.em.execute(
        `insert into members.member (id, tenant_id, org_unit_id, name, gender, birth_date, ethnicity, education, phone,
           id_card_cipher, id_card_masked, id_card_hash, stage, applied_on, activist_on, target_on, joined_on, full_on,
           categories, flags, reported_in_community, org_path)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?::text[], ?, '')`,
        [memberId, tenant, input.orgUnitId, name, id.gender, id.birthDate, input.ethnicity?.trim() || '汉族', input.education, checkPhone(input.phone),
          encrypt(id.number, `${tenant}:${memberId}`), maskIdCard(id.number), blindIndex(tenant, id.number), input.stage,
          dates.applied_on, dates.activist_on, dates.target_on, dates.joined_on, dates.full_on,
          sqlArray(categories), sqlArray(dedupe(input.flags) ?? []), input.reportedInCommunityId ?? null],
      );
    } catch (e) {
      if (isDuplicateIdCard(e)) throw conflict('A member with this ID card number is already registered in this tenant.');
      throw e;
    }
    await ctx.em.execute(
      `insert into members.recruitment_step (tenant_id, member_id, from_stage, to_stage, effective_on, note, recorded_by) values (?, ?, null, ?, ?, 'registered', ?)`,
      [tenant, memberId, input.stage, input.stageSince, ctx.principal.sub],
    );
    return reload(ctx, memberId);
  },

  async updateMember(_: unknown, { id, input }: { id: string; input: UpdateInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const m = await lockMember(ctx, id);
    const categories = dedupe(input.categories) ?? m.categories;
    const community = input.reportedInCommunityId === undefined ? m.reported_in_community : input.reportedInCommunityId;
    if (community && !categories.includes('IN_SERVICE')) throw badInput('Only IN_SERVICE members report in to a community (双报到); keep the IN_SERVICE category or clear reportedInCommunityId.', 'input.reportedInCommunityId');
    if (input.reportedInCommunityId) await requireUnit(ctx, input.reportedInCommunityId, 'OrgUnit');
    await ctx.em.execute(
      `update members.member set name = ?, phone = ?, education = ?, categories = ?::text[], flags = ?::text[], reported_in_community = ?, updated_at = now() where id = ?`,
      [input.name != null ? checkName(input.name, 'input.name') : m.name, input.phone !== undefined ? checkPhone(input.phone) : m.phone,
        input.education ?? m.education, sqlArray(categories), sqlArray(dedupe(input.flags) ?? m.flags), community, id],
    );
    return reload(ctx, id);
  },

  async advanceRecruitment(_: unknown, { id, input: raw }: { id: string; input: StepInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    const input = { ...raw, on: day(raw.on) };
    const m = await lockMember(ctx, id);
    const since = m[STAGE_DATE_COLUMN[m.stage] as keyof MemberRow] as string | null;
    checkStep({ stage: m.stage, stageSince: since, joinedOn: m.joined_on }, input, localDate(ctx.now()));
    await ctx.em.execute(`update members.member set stage = ?, ${STAGE_DATE_COLUMN[input.to]} = ?, updated_at = now() where id = ?`, [input.to, input.on, id]);
    await ctx.em.execute(
      `insert into members.recruitment_step (tenant_id, member_id, from_stage, to_stage, effective_on, approved_by, note, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [ctx.principal.tenantId, id, m.stage, input.to, input.on, input.approvedBy?.trim() || null, input.note ?? null, ctx.principal.sub],
    );
    return reload(ctx, id);
  },
};
