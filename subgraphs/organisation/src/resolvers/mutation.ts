import { notFound, requireScope } from '@trellis/platform';
import { CoBuildingAgreement, PartTimeMember, UnitKind } from '../entities.ts';
import { afterWrite, type Context } from '../context.ts';
import * as tree from '../domain/tree.ts';
import * as coalition from '../domain/coalition.ts';
import * as kinds from '../domain/kinds.ts';

/** Every mutation: check the permission, do the work inside the request's transaction, answer from fresh state. */
function write<A, R>(work: (args: A, ctx: Context) => Promise<string>, answer: (id: string, ctx: Context) => Promise<R | null>, type: string) {
  return async (_: unknown, args: A, ctx: Context): Promise<R> => {
    requireScope(ctx.principal, 'org:write');
    const id = await work(args, ctx);
    afterWrite(ctx);
    const result = await answer(id, ctx);
    if (!result) throw notFound(type, id);
    return result;
  };
}

const unit = (id: string, ctx: Context) => ctx.loaders.orgUnit.load(id);
const committee = (id: string, ctx: Context) => ctx.loaders.committee.load(id);
const partTime = (id: string, ctx: Context) => ctx.em.findOne(PartTimeMember, { id });

export const mutationResolvers = {
  configureUnitKind: write((a: { input: kinds.UnitKindInput }, ctx) => kinds.configureKind(ctx.em, ctx.principal, a.input), (code, ctx) => ctx.em.findOne(UnitKind, { code }), 'UnitKind'),
  createOrgUnit: write(
    (a: { input: { parentId: string; kind: string; name: string; form?: string | null; effectiveFrom?: Date | null } }, ctx) =>
      tree.withEffectiveDate(ctx.em, ctx.now(), { changes: [], needs: [a.input.parentId] }, a.input.effectiveFrom, () => tree.createUnit(ctx.em, a.input)),
    unit, 'OrgUnit'),
  renameOrgUnit: write(
    (a: { id: string; name: string; effectiveFrom?: Date | null }, ctx) =>
      tree.withEffectiveDate(ctx.em, ctx.now(), { changes: [a.id] }, a.effectiveFrom, async () => { await tree.renameUnit(ctx.em, a.id, a.name); return a.id; }),
    unit, 'OrgUnit'),
  moveOrgUnit: write(
    (a: { id: string; newParentId: string; effectiveFrom?: Date | null }, ctx) =>
      tree.withEffectiveDate(ctx.em, ctx.now(), { changes: [a.id], needs: [a.newParentId] }, a.effectiveFrom, async () => { await tree.moveUnit(ctx.em, a.id, a.newParentId); return a.id; }),
    unit, 'OrgUnit'),
  mergeOrgUnits: write(
    (a: { sourceId: string; targetId: string; effectiveFrom?: Date | null }, ctx) =>
      tree.withEffectiveDate(ctx.em, ctx.now(), { changes: [a.sourceId, a.targetId] }, a.effectiveFrom, async () => { await tree.mergeUnits(ctx.em, a.sourceId, a.targetId); return a.targetId; }),
    unit, 'OrgUnit'),
  dissolveOrgUnit: write(
    (a: { id: string; effectiveFrom?: Date | null }, ctx) =>
      tree.withEffectiveDate(ctx.em, ctx.now(), { changes: [a.id] }, a.effectiveFrom, async () => { await tree.dissolveUnit(ctx.em, a.id); return a.id; }),
    unit, 'OrgUnit'),
  createStationedUnit: write((a: { input: { name: string; category: string; locatedInId: string } }, ctx) => coalition.createStationedUnit(ctx.em, a.input), (id, ctx) => ctx.loaders.stationedUnit.load(id), 'StationedUnit'),
  signCoBuildingAgreement: write(
    (a: { input: { stationedUnitId: string; partnerId: string; signedOn: Date; validUntil?: Date | null; pledges: string[] } }, ctx) => coalition.signAgreement(ctx.em, a.input),
    (id, ctx) => ctx.em.findOne(CoBuildingAgreement, { id }),
    'CoBuildingAgreement',
  ),
  formBigCommittee: write((a: { hostId: string; name: string }, ctx) => coalition.formCommittee(ctx.em, a.hostId, a.name), committee, 'BigCommittee'),
  addBigCommitteeMemberUnit: write(async (a: { committeeId: string; stationedUnitId: string }, ctx) => { await coalition.addMemberUnit(ctx.em, a.committeeId, a.stationedUnitId); return a.committeeId; }, committee, 'BigCommittee'),
  recommendPartTimeMember: write(
    (a: { committeeId: string; personName: string; stationedUnitId: string; position?: string | null }, ctx) => coalition.recommendPartTimeMember(ctx.em, { ...a, position: a.position ?? '兼职委员' }),
    partTime,
    'PartTimeMember',
  ),
  appointPartTimeMember: write(async (a: { id: string; on: Date }, ctx) => { await coalition.advancePartTimeMember(ctx.em, a.id, 'APPOINTED', a.on); return a.id; }, partTime, 'PartTimeMember'),
  exitPartTimeMember: write(async (a: { id: string; on: Date }, ctx) => { await coalition.advancePartTimeMember(ctx.em, a.id, 'EXITED', a.on); return a.id; }, partTime, 'PartTimeMember'),
};
