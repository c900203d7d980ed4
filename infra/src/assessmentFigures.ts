import { signUserToken, type SubgraphDefinition, type UserTokenConfig } from '@trellis/platform';
import { createAssessmentSubgraph, gatewayMetricSource, type MetricSource } from '@trellis/assessment';

/**
 * The figures computed assessment indicators are scored from, read through the gateway. Its
 * token is minted per call for the campaign's tenant with the platform's user-token key (a
 * deployment with an identity provider gives the service a client credential instead). Shared by
 * the in-process stack (tests) and `serve.ts` (npm start, one process per service).
 */
export function assessmentFigures(opts: { gatewayUrl: () => string; userTokens: UserTokenConfig }): MetricSource {
  return gatewayMetricSource({
    url: opts.gatewayUrl,
    token: (tenant) => {
      const { secret } = opts.userTokens;
      // With an identity provider (JWKS) the service needs a client credential from it instead.
      if (!secret) throw new Error('Assessment figures need a client credential; this deployment has no user-token secret to mint one.');
      return signUserToken({ ...opts.userTokens, secret }, {
        sub: 'assessment-metrics', tenantId: tenant.id, tenantSlug: tenant.slug, role: 'INTEGRATOR', scopes: ['org:read', 'members:read', 'services:read'],
      }, 300);
    },
  });
}

/** The definition a service process runs: assessment with the gateway-backed figures, every other as registered. */
export function definitionWithFigures(m: { name: string; definition: SubgraphDefinition<unknown> }, metrics: MetricSource): SubgraphDefinition<unknown> {
  return m.name === 'assessment' ? (createAssessmentSubgraph({ metrics }) as unknown as SubgraphDefinition<unknown>) : m.definition;
}

/** Where a separately running assessment service finds the gateway: GATEWAY_URL, else the local gateway port. */
export const gatewayUrlFromEnv = (env: { GATEWAY_URL?: string; GATEWAY_PORT: number }): string => env.GATEWAY_URL ?? `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;
