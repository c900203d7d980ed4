import { scalarResolvers } from '@trellis/platform';
import type { TenantRow } from '../entities.ts';
import type { Context } from '../context.ts';
import type { VersionRow } from '../loaders.ts';
import { OrgUnit, UnitKind } from '../entities.ts';
import type { Resolvers } from '../generated/resolvers.ts';
import { queryResolvers } from './query.ts';
import { mutationResolvers } from './mutation.ts';
import { orgUnitResolvers } from './orgUnit.ts';
import { agreementResolvers, bigCommitteeResolvers, partTimeMemberResolvers, stationedUnitResolvers } from './coalition.ts';

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Date: scalarResolvers.Date,
  Query: queryResolvers,
  Mutation: mutationResolvers,
  Tenant: {
    rootUnit: (_: TenantRow, __: unknown, ctx: Context) => ctx.em.findOne(OrgUnit, { parentId: null }),
    unitKinds: (_: TenantRow, __: unknown, ctx: Context) => ctx.em.find(UnitKind, {}, { orderBy: { sort: 'asc', code: 'asc' } }),
  },
  UnitKind: { special: (k: { special: boolean }) => k.special },
  OrgUnit: orgUnitResolvers,
  OrgUnitVersion: {
    parentId: (v: VersionRow) => v.parent_id,
    validFrom: (v: VersionRow) => v.valid_from,
    validTo: (v: VersionRow) => v.valid_to,
  },
  StationedUnit: stationedUnitResolvers,
  CoBuildingAgreement: agreementResolvers,
  BigCommittee: bigCommitteeResolvers,
  PartTimeMember: partTimeMemberResolvers,
};
