import { randomUUID } from 'node:crypto';
import { badInput, conflict, forbidden, isUuid, notFound, requireScope } from '@trellis/platform';
import type { MemberCardsResolvers, MemberResolvers, MutationResolvers, PostClaimResolvers, QueryResolvers } from '../generated/resolvers.ts';
import type { Context } from '../context.ts';
import { checkAction, notFuture, quarterOf, summarise } from '../domain/inService.ts';
import { checkCategories, checkRange, type PostCategory } from '../domain/posts.ts';
import type { MemberRow } from '../loaders.ts';
import { CLAIM_COLUMNS, type CardsView as Cards, type ClaimRow } from '../processLoaders.ts';
import { lockReport, requireMemberOrAdmin } from './inService.ts';
import { day, refresh, today } from './processHelpers.ts';

interface SettingsInput { letterValidMonths?: number | null; contactsPerQuarter?: number | null; activitiesPerYear?: number | null; maxPostsPerMember?: number | null; postCategories?: PostCategory[] | null }

export const postQueries = {
  memberProcessSettings: (_: unknown, __: unknown, ctx: Context) => ctx.loaders.settings(),
} satisfies Partial<QueryResolvers>;

export const postMutations = {
  async configureMemberProcesses(_: unknown, { input }: { input: SettingsInput }, ctx: Context) {
    if (ctx.principal.role !== 'CITY_ADMIN') throw forbidden('Process settings apply to the whole tenant; a city administrator changes them.');
    const cur = await ctx.loaders.settings();
    const next = {
      letterValidMonths: checkRange(input.letterValidMonths, 1, 12, 'letterValidMonths') ?? cur.letterValidMonths,
      contactsPerQuarter: checkRange(input.contactsPerQuarter, 0, 50, 'contactsPerQuarter') ?? cur.contactsPerQuarter,
      activitiesPerYear: checkRange(input.activitiesPerYear, 0, 200, 'activitiesPerYear') ?? cur.activitiesPerYear,
      maxPostsPerMember: checkRange(input.maxPostsPerMember, 1, 5, 'maxPostsPerMember') ?? cur.maxPostsPerMember,
    };
    await ctx.em.execute(
      `insert into members.process_setting (letter_valid_months, contacts_per_quarter, activities_per_year, max_posts_per_member, updated_by, updated_at)
       values (?, ?, ?, ?, ?, ?) on conflict (tenant_id) do update set letter_valid_months = excluded.letter_valid_months,
         contacts_per_quarter = excluded.contacts_per_quarter, activities_per_year = excluded.activities_per_year,
         max_posts_per_member = excluded.max_posts_per_member, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [next.letterValidMonths, next.contactsPerQuarter, next.activitiesPerYear, next.maxPostsPerMember, ctx.principal.sub, ctx.now()]);
    if (input.postCategories) {
      const cats = checkCategories(input.postCategories);
      await ctx.em.execute('delete from members.post_category', []);
      for (const [i, c] of cats.entries()) await ctx.em.execute('insert into members.post_category (code, name, position) values (?, ?, ?)', [c.code, c.name, i]);
    }
    refresh(ctx);
    return ctx.loaders.settings();
  },

  async claimPost(_: unknown, { reportId, input }: { reportId: string; input: { category: string; title: string; on: Date | string } }, ctx: Context) {
    const r = await lockReport(ctx, reportId);
    requireMemberOrAdmin(ctx, r.member_id);
    checkAction(r.status, 'claim');
    const settings = await ctx.loaders.settings();
    if (!settings.postCategories.some((c) => c.code === input.category)) {
      throw badInput(`Unknown post category ${input.category}; the tenant's categories are ${settings.postCategories.map((c) => c.code).join(', ')}.`, 'input.category');
    }
    const title = input.title.trim();
    if (title.length < 1 || title.length > 60) throw badInput('The post title has 1 to 60 characters, e.g. 青山湖社区政策宣讲员.', 'input.title');
    const on = notFuture(day(input.on), today(ctx), 'input.on');
    const active = await ctx.em.execute<{ category: string }[]>(`select category from members.post_claim where report_id = ? and status = 'ACTIVE'`, [r.id]);
    if (active.some((c) => c.category === input.category)) throw conflict(`The member already holds a ${input.category} post; release it before claiming another of the same category.`);
    if (active.length >= settings.maxPostsPerMember) throw conflict(`The member already holds ${active.length} posts, the most allowed at once (${settings.maxPostsPerMember}); release one first.`);
    const id = randomUUID();
    await ctx.em.execute(
      `insert into members.post_claim (id, report_id, member_id, category, title, status, claimed_on, recorded_by) values (?, ?, ?, ?, ?, 'ACTIVE', ?, ?)`,
      [id, r.id, r.member_id, input.category, title, on, ctx.principal.sub]);
    refresh(ctx);
    const [row] = await ctx.em.execute<ClaimRow[]>(`select ${CLAIM_COLUMNS} from members.post_claim c where c.id = ?`, [id]);
    return row!;
  },

  async releasePost(_: unknown, { claimId, on: rawOn }: { claimId: string; on: Date | string }, ctx: Context) {
    if (!isUuid(claimId)) throw notFound('PostClaim', claimId);
    const [c] = await ctx.em.execute<ClaimRow[]>(`select ${CLAIM_COLUMNS} from members.post_claim c where c.id = ? for update`, [claimId]);
    if (!c) throw notFound('PostClaim', claimId);
    requireMemberOrAdmin(ctx, c.member_id);
    if (c.status !== 'ACTIVE') throw conflict(`The post was already released on ${c.released_on}.`);
    const on = notFuture(day(rawOn), today(ctx), 'on');
    if (on < c.claimed_on) throw badInput(`The release date ${on} is before the claim (${c.claimed_on}).`, 'on');
    await ctx.em.execute(`update members.post_claim set status = 'RELEASED', released_on = ? where id = ?`, [on, claimId]);
    const released: ClaimRow = { ...c, status: 'RELEASED', released_on: on };
    return released;
  },
} satisfies Partial<MutationResolvers>;

export const postClaimResolvers = {
  categoryName: async (c: ClaimRow, _: unknown, ctx: Context) => (await ctx.loaders.settings()).postCategories.find((p) => p.code === c.category)?.name ?? c.category,
  claimedOn: (c: ClaimRow) => c.claimed_on,
  releasedOn: (c: ClaimRow) => c.released_on,
} satisfies PostClaimResolvers;

/** The member's process fields: status, transfers, reports and the four cards. */
export const memberProcessResolvers = {
  membershipStatus: (m: MemberRow) => m.membership_status,
  transfers: (m: MemberRow, _: unknown, ctx: Context) => ctx.loaders.transfersByMember.load(m.id),
  inServiceReports: (m: MemberRow, _: unknown, ctx: Context) => ctx.loaders.reportsByMember.load(m.id),
  cards(m: MemberRow, { year }: { year?: number | null }, ctx: Context): Cards {
    // A member reads their own cards; everyone else needs members:read (and sees only members in scope).
    if (ctx.principal.memberId !== m.id) requireScope(ctx.principal, 'members:read');
    const y = year ?? Number(today(ctx).slice(0, 4));
    if (!Number.isInteger(y) || y < 2000 || y > 2100) throw badInput('year must be a calendar year such as 2026.', 'year');
    return { member: m, year: y };
  },
} satisfies Partial<MemberResolvers>;

export const memberCardsResolvers = {
  year: (c: Cards) => c.year,
  async basicInformation({ member: m }: Cards, _: unknown, ctx: Context) {
    const [reports, posts] = await Promise.all([ctx.loaders.reportsByMember.load(m.id), ctx.loaders.claimsByMember.load(m.id)]);
    const open = reports.find((r) => r.status !== 'ENDED');
    return {
      name: m.name, gender: m.gender, birthDate: m.birth_date, education: m.education, stage: m.stage, joinedOn: m.joined_on, categories: m.categories,
      organisation: { __typename: 'OrgUnit', id: m.org_unit_id },
      reportedInCommunity: m.reported_in_community ? { __typename: 'OrgUnit', id: m.reported_in_community } : null,
      gridPost: open?.grid_post ?? null,
      posts,
    };
  },
  async activityRecord({ member: m, year }: Cards, _: unknown, ctx: Context) {
    const entries = await ctx.loaders.activities.load(`${m.id}|${year}`);
    return { entries, totalHours: summarise(entries).hours };
  },
  async communityPerformance({ member: m, year }: Cards, _: unknown, ctx: Context) {
    const [entries, settings] = await Promise.all([ctx.loaders.activities.load(`${m.id}|${year}`), ctx.loaders.settings()]);
    const s = summarise(entries);
    const byQuarter = [1, 2, 3, 4].map((q) => entries.filter((e) => e.kind === 'CONTACT' && quarterOf(e.happened_on) === q).length);
    return {
      ...s, contactsByQuarter: byQuarter, minimumContactsPerQuarter: settings.contactsPerQuarter, minimumActivitiesPerYear: settings.activitiesPerYear,
      meetsActivityMinimum: s.activities >= settings.activitiesPerYear,
    };
  },
  async performanceFeedback({ member: m, year }: Cards, _: unknown, ctx: Context) {
    const [quarterly, evaluations] = await Promise.all([ctx.loaders.feedback.load(`${m.id}|${year}`), ctx.loaders.evaluations.load(`${m.id}|${year}`)]);
    return { quarterly, evaluation: evaluations[0] ?? null };
  },
} satisfies MemberCardsResolvers;
