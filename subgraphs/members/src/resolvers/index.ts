import { scalarResolvers } from '@trellis/platform';
import { memberResolvers, queryResolvers, recruitmentStepResolvers } from './member.ts';
import { mutationResolvers } from './mutation.ts';
import { orgUnitResolvers } from './orgUnit.ts';
import { incomingTransferResolvers, transferMutations, transferQueries, transferResolvers } from './transfer.ts';
import { activityRecordResolvers, annualEvaluationResolvers, inServiceMutations, inServiceQueries, inServiceReportResolvers, quarterlyFeedbackResolvers } from './inService.ts';
import { memberCardsResolvers, memberProcessResolvers, postClaimResolvers, postMutations, postQueries } from './posts.ts';
import { processStepResolvers } from './processHelpers.ts';

export const resolvers = {
  Date: scalarResolvers.Date,
  DateTime: scalarResolvers.DateTime,
  Query: { ...queryResolvers, ...transferQueries, ...inServiceQueries, ...postQueries },
  Mutation: { ...mutationResolvers, ...transferMutations, ...inServiceMutations, ...postMutations },
  Member: { ...memberResolvers, ...memberProcessResolvers },
  RecruitmentStep: recruitmentStepResolvers,
  OrgUnit: orgUnitResolvers,
  // Member processes: transfers, in-service reporting, posts and the four cards.
  Transfer: transferResolvers,
  IncomingTransfer: incomingTransferResolvers,
  ProcessStep: processStepResolvers,
  InServiceReport: inServiceReportResolvers,
  PostClaim: postClaimResolvers,
  ActivityRecord: activityRecordResolvers,
  QuarterlyFeedback: quarterlyFeedbackResolvers,
  AnnualEvaluation: annualEvaluationResolvers,
  MemberCards: memberCardsResolvers,
};
