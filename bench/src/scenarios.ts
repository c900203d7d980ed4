// Named benchmark scenarios: which operation, and the variables each principal sends.
import { readFileSync } from 'node:fs';
import { idCardCheck } from '@trellis/members/domain/personalData.ts';
import type { BenchPrincipal } from './principals.ts';

const op = (name: string) => readFileSync(new URL(`../operations/${name}.graphql`, import.meta.url), 'utf8');

export interface Scenario {
  name: string;
  description: string;
  /** Mutations: each request gets fresh variables (`body` is called per request). */
  write?: boolean;
  query: string;
  variables(p: BenchPrincipal, i: number): Record<string, unknown>;
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
  return [
    {
      name: 'dashboard',
      description: 'city dashboard: every district with units by kind and member figures, plus a drill-down one level below the chosen unit',
      query: op('dashboard'),
      variables: (p) => ({ district: p.focusUnitId, drillKinds: p.drillKinds }),
    },
    {
      name: 'drilldown',
      description: 'district (or street) drill-down: children with unit counts, member figures by category and age band',
      query: op('drilldown'),
      variables: (p) => ({ unit: p.focusUnitId }),
    },
    {
      name: 'member-page',
      description: 'a page of 100 members of a street with their organisations (members → organisation)',
      query: op('member-page'),
      variables: (p) => ({ unit: p.streetId }),
    },
    {
      name: 'fanout',
      description: 'entity fan-out: up to 70 members from each community of a street (≈1,000), each resolved to its unit and parent',
      query: op('fanout'),
      variables: (p) => ({ street: p.streetId }),
    },
    {
      name: 'write-mix',
      description: 'registering new members in a grid (more mutations join when services and dues arrive)',
      write: true,
      query: op('create-member'),
      variables: (p, i) => ({
        input: {
          orgUnitId: p.memberHomeId, name: `测试${i % 1000}`, idCardNumber: nextId(), education: 'BACHELOR',
          stage: 'APPLICANT', stageSince: today, categories: ['IN_SERVICE'],
        },
      }),
    },
  ];
}

export const unitCountsQuery = op('unit-counts');
