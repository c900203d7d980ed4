import { scalarResolvers } from '@trellis/platform';
import { mutationResolvers } from './mutation.ts';
import { queryResolvers } from './query.ts';
import { campaignResolvers, orgUnitResolvers, progressResolvers, resultResolvers, scoreResolvers, targetResolvers, templateResolvers } from './types.ts';

export const resolvers = {
  Date: scalarResolvers.Date,
  DateTime: scalarResolvers.DateTime,
  Query: queryResolvers,
  Mutation: mutationResolvers,
  AssessmentTemplate: templateResolvers,
  AssessmentCampaign: campaignResolvers,
  AssessmentTarget: targetResolvers,
  IndicatorScore: scoreResolvers,
  AssessmentResult: resultResolvers,
  CampaignProgress: progressResolvers,
  OrgUnit: orgUnitResolvers,
};
