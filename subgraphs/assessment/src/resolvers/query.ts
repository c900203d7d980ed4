import type { QueryResolvers } from '../generated/resolvers.ts';
import { notFound, requireScope } from '@trellis/platform';
import type { Context } from '../context.ts';
import { DEFAULT_PAY_COEFFICIENTS } from '../domain/template.ts';
import { CAMPAIGN_COLUMNS, type CampaignRow } from '../loaders.ts';

/** Reads need assessment:read; a payroll integrator holding only assessment:results reads final results. */
export const requireRead = (ctx: Context) => {
  if (!ctx.principal.scopes.includes('assessment:results')) requireScope(ctx.principal, 'assessment:read');
};

export async function payCoefficients(ctx: Context): Promise<Record<string, number>> {
  const rows = await ctx.em.execute<{ pay_coefficients: Record<string, number> }[]>('select pay_coefficients from assessment.tenant_settings');
  return rows[0]?.pay_coefficients ?? DEFAULT_PAY_COEFFICIENTS;
}

export const queryResolvers: QueryResolvers = {
  async assessmentTemplate(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.template.load(a.id)) ?? Promise.reject(notFound('AssessmentTemplate', a.id));
  },
  async assessmentCampaign(_, a, ctx) {
    requireRead(ctx);
    return (await ctx.loaders.campaign.load(a.id)) ?? Promise.reject(notFound('AssessmentCampaign', a.id));
  },
  async assessmentCampaigns(_, __, ctx) {
    requireRead(ctx);
    return ctx.em.execute<CampaignRow[]>(`select ${CAMPAIGN_COLUMNS} from assessment.campaign c order by c.opened_at desc, c.id limit 200`);
  },
  async assessmentTarget(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.target.load(a.id)) ?? Promise.reject(notFound('AssessmentTarget', a.id));
  },
  async assessmentResults(_, a, ctx) {
    requireRead(ctx);
    if (!(await ctx.loaders.campaign.load(a.campaignId))) throw notFound('AssessmentCampaign', a.campaignId);
    return ctx.loaders.resultsOfCampaign.load(a.campaignId);
  },
  async democraticAppraisal(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.appraisal.load(a.id)) ?? Promise.reject(notFound('DemocraticAppraisal', a.id));
  },
  async dutyReport(_, a, ctx) {
    requireScope(ctx.principal, 'assessment:read');
    return (await ctx.loaders.dutyReport.load(a.id)) ?? Promise.reject(notFound('DutyReport', a.id));
  },
  async payCoefficients(_, __, ctx) {
    requireRead(ctx);
    return Object.entries(await payCoefficients(ctx)).map(([grade, coefficient]) => ({ grade, coefficient }));
  },
};
