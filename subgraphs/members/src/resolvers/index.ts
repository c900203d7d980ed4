import { scalarResolvers } from '@trellis/platform';
import { memberResolvers, queryResolvers, recruitmentStepResolvers } from './member.ts';
import { mutationResolvers } from './mutation.ts';
import { orgUnitResolvers } from './orgUnit.ts';

export const resolvers = {
  Date: scalarResolvers.Date,
  DateTime: scalarResolvers.DateTime,
  Query: queryResolvers,
  Mutation: mutationResolvers,
  Member: memberResolvers,
  RecruitmentStep: recruitmentStepResolvers,
  OrgUnit: orgUnitResolvers,
};
