import { scalarResolvers } from '@trellis/platform';
import type { Resolvers } from '../generated/resolvers.ts';
import { memberResolvers, queryResolvers, recruitmentStepResolvers } from './member.ts';
import { mutationResolvers } from './mutation.ts';
import { memberStatisticsResolvers, orgUnitResolvers } from './orgUnit.ts';
import { incomingTransferResolvers, transferMutations, transferQueries, transferResolvers } from './transfer.ts';
import { activityRecordResolvers, annualEvaluationResolvers, inServiceMutations, inServiceQueries, inServiceReportResolvers, quarterlyFeedbackResolvers } from './inService.ts';
import { memberCardsResolvers, memberProcessResolvers, postClaimResolvers, postMutations, postQueries } from './posts.ts';
import { processStepResolvers } from './processHelpers.ts';
import { duesMemberResolvers, duesMutationResolvers, duesPaymentResolvers, memberDuesResolvers } from './dues.ts';
import { memberPointsResolvers, pointEventResolvers, pointsMemberResolvers, pointsMutationResolvers, pointsQueryResolvers } from './points.ts';
import { importMutationResolvers } from './import.ts';

export const resolvers: Resolvers = {
  Date: scalarResolvers.Date,
  DateTime: scalarResolvers.DateTime,
  Query: { ...queryResolvers, ...transferQueries, ...inServiceQueries, ...postQueries, ...pointsQueryResolvers },
  Mutation: { ...mutationResolvers, ...transferMutations, ...inServiceMutations, ...postMutations, ...duesMutationResolvers, ...pointsMutationResolvers, ...importMutationResolvers },
  Member: { ...memberResolvers, ...memberProcessResolvers, ...duesMemberResolvers, ...pointsMemberResolvers },
  RecruitmentStep: recruitmentStepResolvers,
  OrgUnit: orgUnitResolvers,
  MemberStatistics: memberStatisticsResolvers,
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
  // Ledgers: dues and points.
  MemberDues: memberDuesResolvers,
  DuesPayment: duesPaymentResolvers,
  MemberPoints: memberPointsResolvers,
  PointEvent: pointEventResolvers,
};
