import { randomUUID } from 'node:crypto';
import { conflict, forbidden, hasScope, isUuid, notFound, requireScope } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { expectState } from '../domain/flow.ts';
import { WISH_COLUMNS, wishDates, type WishRow, type WishState } from '../loaders.ts';
import { claimant, phone, requireUnit, text } from './orders.ts';

interface CollectInput { unitId: string; title: string; description?: string | null; residentName: string; residentPhone?: string | null }

async function lockWish(ctx: Context, id: string): Promise<WishRow> {
  if (!isUuid(id)) throw notFound('MicroWish', id);
  const rows = await ctx.em.execute<WishRow[]>(`select ${WISH_COLUMNS} from services.micro_wish_view w where w.id = ? for update`, [id]);
  if (!rows[0]) throw notFound('MicroWish', id);
  return wishDates(rows[0]);
}

async function move(ctx: Context, w: WishRow, action: string, to: WishState, set: Record<string, unknown> = {}, note: string | null = null): Promise<WishRow> {
  const now = ctx.now();
  const cols = Object.keys(set);
  await ctx.em.execute(
    `update services.micro_wish set state = ?, updated_at = ?, updated_by = ?${cols.map((c) => `, ${c} = ?`).join('')} where id = ?`,
    [to, now, ctx.principal.sub, ...cols.map((c) => set[c]), w.id],
  );
  await ctx.em.execute(
    'insert into services.wish_transition (tenant_id, wish_id, from_state, to_state, action, actor, at, note) values (?, ?, ?, ?, ?, ?, ?, ?)',
    [ctx.principal.tenantId, w.id, w.state, to, action, ctx.principal.sub, now, note],
  );
  afterWrite(ctx);
  const row = await ctx.loaders.wish.load(w.id);
  if (!row) throw notFound('MicroWish', w.id);
  return row;
}

/** The claimant themself, or an administrator with services:write. */
function requireClaimantOrAdmin(ctx: Context, w: WishRow): void {
  if (hasScope(ctx.principal, 'services:write')) return;
  if (ctx.principal.memberId && w.claimed_by_member_id === ctx.principal.memberId) return;
  throw forbidden('Only the member who claimed the wish, or an administrator, may do this.');
}

const adminStep = (action: string, from: WishState, to: WishState) => async (_: unknown, { id }: { id: string }, ctx: Context) => {
  requireScope(ctx.principal, 'services:write');
  const w = await lockWish(ctx, id);
  expectState('wish', w.state, [from], action);
  return move(ctx, w, action, to);
};

export const wishMutations = {
  async collectWish(_: unknown, { input }: { input: CollectInput }, ctx: Context) {
    requireScope(ctx.principal, 'services:write');
    const title = text(input.title, 'input.title', 100);
    const residentName = text(input.residentName, 'input.residentName', 50);
    const residentPhone = phone(input.residentPhone, 'input.residentPhone');
    await requireUnit(ctx, input.unitId);
    const id = randomUUID();
    const now = ctx.now();
    await ctx.em.execute(
      `insert into services.micro_wish (id, tenant_id, unit_id, org_path, title, description, resident_name, resident_phone, state, collected_by, collected_at, updated_at, updated_by)
       values (?, ?, ?, '', ?, ?, ?, ?, 'COLLECTED', ?, ?, ?, ?)`,
      [id, ctx.principal.tenantId, input.unitId, title, input.description ?? null, residentName, residentPhone, ctx.principal.sub, now, now, ctx.principal.sub],
    );
    await ctx.em.execute(
      `insert into services.wish_transition (tenant_id, wish_id, from_state, to_state, action, actor, at) values (?, ?, null, 'COLLECTED', 'collect', ?, ?)`,
      [ctx.principal.tenantId, id, ctx.principal.sub, now],
    );
    afterWrite(ctx);
    const row = await ctx.loaders.wish.load(id);
    if (!row) throw notFound('MicroWish', id);
    return row;
  },
  verifyWish: adminStep('verify', 'COLLECTED', 'VERIFIED'),
  postWish: adminStep('post', 'VERIFIED', 'POSTED'),
  confirmWish: adminStep('confirm', 'FULFILLED', 'CONFIRMED'),
  archiveWish: adminStep('archive', 'CONFIRMED', 'ARCHIVED'),

  async claimWish(_: unknown, { id, memberId }: { id: string; memberId?: string | null }, ctx: Context) {
    const member = claimant(ctx, memberId);
    const w = await lockWish(ctx, id);
    if (w.state !== 'POSTED') throw conflict(w.state === 'CLAIMED' ? 'Someone else has already claimed this wish.' : `The wish is ${w.state}; only a POSTED wish can be claimed.`);
    return move(ctx, w, 'claim', 'CLAIMED', { claimed_by_member_id: member });
  },

  async withdrawWishClaim(_: unknown, { id, reason }: { id: string; reason?: string | null }, ctx: Context) {
    const w = await lockWish(ctx, id);
    requireClaimantOrAdmin(ctx, w);
    expectState('wish', w.state, ['CLAIMED'], 'withdraw the claim');
    // Withdrawn: the wish is posted again for someone else.
    return move(ctx, w, 'withdraw', 'POSTED', { claimed_by_member_id: null }, reason ?? null);
  },

  async fulfilWish(_: unknown, { id }: { id: string }, ctx: Context) {
    const w = await lockWish(ctx, id);
    requireClaimantOrAdmin(ctx, w);
    expectState('wish', w.state, ['CLAIMED'], 'fulfil');
    return move(ctx, w, 'fulfil', 'FULFILLED', { fulfilled_at: ctx.now() });
  },
};
