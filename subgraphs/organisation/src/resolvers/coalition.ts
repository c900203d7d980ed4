import type { BigCommittee, CoBuildingAgreement, PartTimeMember, StationedUnit } from '../entities.ts';
import { must, type Context } from '../context.ts';

const present = <T>(xs: (T | Error | null)[]): T[] => xs.filter((x): x is T => !!x && !(x instanceof Error));

export const stationedUnitResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.stationedUnit.load(ref.id),
  locatedIn: (s: StationedUnit, _: unknown, ctx: Context) => must(ctx.loaders.orgUnit.load(s.locatedIn), 'OrgUnit', s.locatedIn),
  agreements: (s: StationedUnit, _: unknown, ctx: Context) => ctx.loaders.agreementsOf.load(s.id),
};

export const agreementResolvers = {
  stationedUnit: (a: CoBuildingAgreement, _: unknown, ctx: Context) => must(ctx.loaders.stationedUnit.load(a.stationedUnitId), 'StationedUnit', a.stationedUnitId),
  partner: (a: CoBuildingAgreement, _: unknown, ctx: Context) => must(ctx.loaders.orgUnit.load(a.partnerId), 'OrgUnit', a.partnerId),
};

export const bigCommitteeResolvers = {
  __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.committee.load(ref.id),
  host: (c: BigCommittee, _: unknown, ctx: Context) => must(ctx.loaders.orgUnit.load(c.hostId), 'OrgUnit', c.hostId),
  async memberUnits(c: BigCommittee, _: unknown, ctx: Context) {
    const links = await ctx.loaders.committeeUnits.load(c.id);
    return present(await ctx.loaders.stationedUnit.loadMany(links.map((l) => l.stationed_unit_id)));
  },
  partTimeMembers: (c: BigCommittee, _: unknown, ctx: Context) => ctx.loaders.partTimeMembers.load(c.id),
};

export const partTimeMemberResolvers = {
  stationedUnit: (m: PartTimeMember, _: unknown, ctx: Context) => must(ctx.loaders.stationedUnit.load(m.stationedUnitId), 'StationedUnit', m.stationedUnitId),
};
