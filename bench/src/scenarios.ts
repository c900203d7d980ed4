// Named benchmark scenarios: which operation, and the variables each principal sends.
import { readFileSync } from 'node:fs';
import { idCardCheck } from '@trellis/members/domain/personalData.ts';
import type { BenchPrincipal } from './principals.ts';

const op = (name: string) => readFileSync(new URL(`../operations/${name}.graphql`, import.meta.url), 'utf8');

export interface Scenario {
  name: string;
  description: string;
  /** Mutations: each request gets a fresh body (`request` is called per request). */
  write?: boolean;
  query: string;
  variables(p: BenchPrincipal, i: number): Record<string, unknown>;
  /** Writes whose operation changes from request to request (the write mix); defaults to `query` with `variables`. */
  request?(p: BenchPrincipal, i: number): { query: string; variables: Record<string, unknown> };
  /** Whether a principal has what the scenario needs (an open order to match); default all. */
  applies?(p: BenchPrincipal): boolean;
}

/** A unique, well-formed ID number per call in this run (GB 11643 check character). */
export function idNumbers() {
  const region = String(110000 + (Date.now() % 89_999)).padStart(6, '0');
  let n = 0;
  return () => {
    const i = n++;
    const birth = new Date(Date.UTC(1975, 0, 1) + Math.floor(i / 499) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    const first17 = `${region}${birth}${String((i % 499) * 2 + 1).padStart(3, '0')}`;
    return first17 + idCardCheck(first17);
  };
}

export function scenarios(today: string): Scenario[] {
  const nextId = idNumbers();
  const newMember = (p: BenchPrincipal, i: number) => ({
    input: {
      orgUnitId: p.memberHomeId, name: `测试${i % 1000}`, idCardNumber: nextId(), education: 'BACHELOR',
      stage: 'APPLICANT', stageSince: today, categories: ['IN_SERVICE'],
    },
  });
  return [
    {
      name: 'dashboard',
      description: 'city dashboard: every district with units by kind, member, dues, service and assessment figures, plus the same one level below the chosen unit',
      query: op('dashboard'),
      variables: (p) => ({ district: p.focusUnitId, drillKinds: p.drillKinds }),
    },
    {
      name: 'drilldown',
      description: 'district (or street) drill-down: children with unit counts, member figures, service statistics and assessment progress',
      query: op('drilldown'),
      variables: (p) => ({ unit: p.focusUnitId }),
    },
    {
      name: 'member-statistics',
      description: 'member statistics of one district (street staff: their street), every figure including age bands, from the members subgraph',
      query: op('member-statistics'),
      variables: (p) => ({ unit: p.focusUnitId }),
    },
    {
      name: 'service-statistics',
      description: 'service statistics of one district (street staff: their street): orders by state, rates, satisfaction, median time to close',
      query: op('service-statistics'),
      variables: (p) => ({ unit: p.focusUnitId }),
    },
    {
      name: 'member-page',
      description: 'a page of 100 members of a street with their organisations and service figures (members → organisation, services)',
      query: op('member-page'),
      variables: (p) => ({ unit: p.streetId }),
    },
    {
      name: 'fanout',
      description: 'entity fan-out: up to 70 members from each community of a street (≈1,000), each resolved to its unit and parent and its volunteer hours',
      query: op('fanout'),
      variables: (p) => ({ street: p.streetId }),
    },
    {
      name: 'matching',
      description: 'matching: the ten best providers for an open order (services, with members and organisation references)',
      query: op('matching'),
      variables: (p) => ({ order: p.openOrderId }),
      applies: (p) => p.openOrderId !== null,
    },
    {
      name: 'write-mix',
      description: 'writes in turn: a new member, a done order rated and closed, an assessment result finalised (district staff)',
      write: true,
      query: op('create-member'),
      variables: newMember,
      request(p, i) {
        // One in three rates a done order, one in three finalises a result; a principal without any left registers a member.
        const turn = i % 3;
        const target = turn === 2 ? p.noticeTargets.pop() : undefined;
        if (target) return { query: finaliseResult, variables: { id: target } };
        const order = turn >= 1 ? p.doneOrders.pop() : undefined;
        if (order) return { query: rateOrder, variables: { id: order, rating: 5 - (i % 4 === 0 ? 1 : 0) } };
        return { query: op('create-member'), variables: newMember(p, i) };
      },
    },
  ];
}

const rateOrder = op('rate-order');
const finaliseResult = op('finalise-result');

export const unitCountsQuery = op('unit-counts');
