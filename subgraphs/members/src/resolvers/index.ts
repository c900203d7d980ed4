import { scalarResolvers } from '@trellis/platform';
import type { Resolvers } from '../generated/resolvers.ts';
import { memberResolvers, queryResolvers, recruitmentStepResolvers } from './member.ts';
import { mutationResolvers } from './mutation.ts';
import { orgUnitResolvers } from './orgUnit.ts';
import { duesMemberResolvers, duesMutationResolvers, duesPaymentResolvers, memberDuesResolvers } from './dues.ts';
import { memberPointsResolvers, pointEventResolvers, pointsMemberResolvers, pointsMutationResolvers, pointsQueryResolvers } from './points.ts';
import { importMutationResolvers } from './import.ts';

export const resolvers: Resolvers = {
  Date: scalarResolvers.Date,
  DateTime: scalarResolvers.DateTime,
  Query: { ...queryResolvers, ...pointsQueryResolvers },
  Mutation: { ...mutationResolvers, ...duesMutationResolvers, ...pointsMutationResolvers, ...importMutationResolvers },
  Member: { ...memberResolvers, ...duesMemberResolvers, ...pointsMemberResolvers },
  RecruitmentStep: recruitmentStepResolvers,
  OrgUnit: orgUnitResolvers,
  // Ledgers
  MemberDues: memberDuesResolvers,
  DuesPayment: duesPaymentResolvers,
  MemberPoints: memberPointsResolvers,
  PointEvent: pointEventResolvers,
};
