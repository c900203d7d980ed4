import type { Resolvers } from '../generated/resolvers.ts';
import { scalarResolvers } from '@trellis/platform';
import { mutationResolvers } from './mutation.ts';
import { queryResolvers } from './query.ts';
import { reviewMutations } from './reviews.ts';
import { appraisalResolvers, campaignResolvers, dutyReportResolvers, memberAppraisalResolvers, memberResolvers, orgUnitResolvers, progressResolvers, resultResolvers, scoreResolvers, targetResolvers, templateResolvers } from './types.ts';

/** Every resolver, checked against the schema's generated types (parents are the mapped rows). */
export const resolvers: Resolvers = {
  Date: scalarResolvers.Date,
  DateTime: scalarResolvers.DateTime,
  Query: queryResolvers,
  Mutation: { ...mutationResolvers, ...reviewMutations },
  AssessmentTemplate: templateResolvers,
  AssessmentCampaign: campaignResolvers,
  AssessmentTarget: targetResolvers,
  IndicatorScore: scoreResolvers,
  AssessmentResult: resultResolvers,
  CampaignProgress: progressResolvers,
  OrgUnit: orgUnitResolvers,
  DemocraticAppraisal: appraisalResolvers,
  MemberAppraisal: memberAppraisalResolvers,
  DutyReport: dutyReportResolvers,
  Member: memberResolvers,
};
