import { badInput } from '@trellis/platform';

/**
 * Figures computed indicators are scored from. They belong to other subgraphs, so they are read
 * "through federation": one GraphQL query to the gateway, never another subgraph's tables.
 */
export const METRIC_KEYS = [
  'MEMBERS_TOTAL', 'PROBATIONARY_SHARE', 'DUES_COLLECTION_RATE', 'IN_SERVICE_REPORTED_IN',
  'SERVICE_CLOSURE_RATE', 'SERVICE_SATISFACTION', 'SERVICE_ON_TIME_RATE', 'STUDY_HOURS',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricTenant { id: string; slug: string }
export type Figures = Record<string, Partial<Record<MetricKey, number | null>>>;

export interface MetricSource {
  /** Figures per unit (its whole subtree) and metric; null when the platform has no figure. */
  figures(tenant: MetricTenant, unitIds: readonly string[], metrics: readonly MetricKey[]): Promise<Figures>;
  /** Throws BAD_USER_INPUT naming every metric the platform cannot supply (checked when a template is created). */
  check(tenant: MetricTenant, metrics: readonly MetricKey[]): Promise<void>;
}

type Node = Record<string, Record<string, number | null> | null | undefined>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Each metric's selection on OrgUnit (under an alias of its own) and how its figure is read. */
export const METRICS: Record<MetricKey, { selection: string; read: (n: Node) => number | null }> = {
  MEMBERS_TOTAL: { selection: 'memberStatistics { total }', read: (n) => num(n.MEMBERS_TOTAL?.total) },
  PROBATIONARY_SHARE: {
    selection: 'memberStatistics { total probationary }',
    read: (n) => { const t = num(n.PROBATIONARY_SHARE?.total); const p = num(n.PROBATIONARY_SHARE?.probationary); return t && p !== null ? p / t : null; },
  },
  DUES_COLLECTION_RATE: { selection: 'memberStatistics { duesCollectionRate }', read: (n) => num(n.DUES_COLLECTION_RATE?.duesCollectionRate) },
  IN_SERVICE_REPORTED_IN: { selection: 'memberStatistics { inServiceReportedIn }', read: (n) => num(n.IN_SERVICE_REPORTED_IN?.inServiceReportedIn) },
  SERVICE_CLOSURE_RATE: { selection: 'serviceStatistics { closureRate }', read: (n) => num(n.SERVICE_CLOSURE_RATE?.closureRate) },
  SERVICE_SATISFACTION: { selection: 'serviceStatistics { averageSatisfaction }', read: (n) => num(n.SERVICE_SATISFACTION?.averageSatisfaction) },
  SERVICE_ON_TIME_RATE: { selection: 'serviceStatistics { onTimeRate }', read: (n) => num(n.SERVICE_ON_TIME_RATE?.onTimeRate) },
  STUDY_HOURS: { selection: 'studyStatistics { hoursPerMember }', read: (n) => num(n.STUDY_HOURS?.hoursPerMember) },
};

const queryFor = (metrics: readonly MetricKey[]) =>
  `query AssessmentFigures($ids: [ID!]!) { orgUnits(ids: $ids) { id ${metrics.map((m) => `${m}: ${METRICS[m].selection}`).join(' ')} } }`;

interface GraphQLAnswer { data?: { orgUnits: (Node & { id: string })[] } | null; errors?: { message: string; extensions?: { code?: string } }[] }

/**
 * The production source: posts one query to the gateway with a short-lived token for the
 * campaign's tenant (role INTEGRATOR; org:read, members:read, services:read). The stack mints it
 * with the platform's user-token key; a deployment gives the service a client credential instead.
 */
export function gatewayMetricSource(opts: { url: () => string; token: (tenant: MetricTenant) => Promise<string>; fetch?: typeof fetch }): MetricSource {
  const doFetch = opts.fetch ?? fetch;
  async function post(tenant: MetricTenant, metrics: readonly MetricKey[], ids: readonly string[]): Promise<GraphQLAnswer> {
    const res = await doFetch(opts.url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await opts.token(tenant)}` },
      body: JSON.stringify({ query: queryFor(metrics), variables: { ids } }),
    });
    return (await res.json()) as GraphQLAnswer;
  }
  return {
    async figures(tenant, unitIds, metrics) {
      const out: Figures = {};
      if (unitIds.length === 0 || metrics.length === 0) return out;
      const answer = await post(tenant, metrics, unitIds);
      if (answer.errors?.length || !answer.data) throw new Error(`Reading assessment figures failed: ${answer.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
      for (const node of answer.data.orgUnits) {
        out[node.id] = Object.fromEntries(metrics.map((m) => [m, METRICS[m].read(node)]));
      }
      return out;
    },
    async check(tenant, metrics) {
      // An empty id list validates every selection against the supergraph without reading data.
      const missing: MetricKey[] = [];
      for (const m of metrics) {
        const answer = await post(tenant, [m], []);
        if (answer.errors?.length) missing.push(m);
      }
      if (missing.length) {
        throw badInput(`The platform cannot supply ${missing.join(', ')} yet (the figure is not in the supergraph); choose another metric or score the indicator by hand.`, 'input.dimensions');
      }
    },
  };
}

/** Used until a source is configured: computed indicators are refused with a clear message. */
export const unavailableMetricSource: MetricSource = {
  figures: () => Promise.reject(new Error('No metric source is configured for the assessment service.')),
  check: (_t, metrics) => (metrics.length ? Promise.reject(badInput('Computed indicators are not available: this service has no metric source configured.', 'input.dimensions')) : Promise.resolve()),
};
