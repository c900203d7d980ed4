import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEV_JWT_SECRET } from '@trellis/platform';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { assessmentFigures, definitionWithFigures, gatewayUrlFromEnv } from '@trellis/infra/assessmentFigures.ts';
import { subgraphModules } from '@trellis/infra/subgraphs.ts';
import { DISTRICT } from './helpers.ts';

let t: TestStack;
beforeAll(async () => { t = await startTestStack(); });
afterAll(() => t.close());

describe('figures for computed indicators in a service of its own (npm start)', () => {
  it('finds the gateway from GATEWAY_URL, else the local gateway port', () => {
    expect(gatewayUrlFromEnv({ GATEWAY_URL: 'https://gw.example.org/graphql', GATEWAY_PORT: 4000 })).toBe('https://gw.example.org/graphql');
    expect(gatewayUrlFromEnv({ GATEWAY_PORT: 4100 })).toBe('http://127.0.0.1:4100/graphql');
  });

  it('reads figures through the gateway with a token minted from the user-token secret, and names a metric the supergraph lacks', async () => {
    const metrics = assessmentFigures({ gatewayUrl: () => gatewayUrlFromEnv({ GATEWAY_URL: t.url, GATEWAY_PORT: 0 }), userTokens: { issuer: 'trellis-test', audience: 'trellis', secret: DEV_JWT_SECRET } });
    const tenant = { id: t.tenants.huangshi!.id, slug: 'huangshi' };
    const unit = t.unit('huangshi', DISTRICT);
    const figures = await metrics.figures(tenant, [unit], ['MEMBERS_TOTAL']);
    const r = await gql<{ orgUnit: { memberStatistics: { total: number } } }>(t.url, await t.token('huangshi', 'CITY_ADMIN'), 'query($id: ID!) { orgUnit(id: $id) { memberStatistics { total } } }', { id: unit });
    expect(figures[unit]!.MEMBERS_TOTAL).toBe(r.data!.orgUnit.memberStatistics.total);
    await expect(metrics.check(tenant, ['MEMBERS_TOTAL'])).resolves.toBeUndefined();
    await expect(metrics.check(tenant, ['STUDY_HOURS'])).rejects.toThrow(/STUDY_HOURS/);
    const noSecret = assessmentFigures({ gatewayUrl: () => t.url, userTokens: { issuer: 'trellis-test', audience: 'trellis' } });
    await expect(noSecret.figures(tenant, [unit], ['MEMBERS_TOTAL'])).rejects.toThrow(/client credential/);
  });

  it('the service process runs assessment with that source and every other subgraph unchanged', () => {
    const metrics = assessmentFigures({ gatewayUrl: () => t.url, userTokens: { issuer: 'trellis-test', audience: 'trellis', secret: DEV_JWT_SECRET } });
    for (const m of subgraphModules) {
      const d = definitionWithFigures(m, metrics);
      expect(d.name).toBe(m.name);
      if (m.name === 'assessment') expect(d).not.toBe(m.definition);
      else expect(d).toBe(m.definition);
    }
  });
});
