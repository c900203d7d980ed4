import { gql } from '@trellis/platform/testkit/index.ts';
import { idCardCheck } from '../src/domain/personalData.ts';

/** The fixed clock of these tests: 15 June 2026, noon in China. */
export const NOW = new Date('2026-06-15T04:00:00Z');
export const TODAY = '2026-06-15';

/** A valid GB 11643 number for a birth date; `n` keeps numbers unique, its parity sets the gender. */
export function idCard(birth: string, n: number, region = '420202'): string {
  const first17 = `${region}${birth.replace(/-/g, '')}${String(n).padStart(3, '0')}`;
  return first17 + idCardCheck(first17);
}

export const MEMBER_FIELDS = 'id name gender birthDate age ageBand stage joinedOn fullOn probationEndsOn categories flags idCardNumber phone personalDataMasked organisation { id } reportedInCommunity { id }';

export async function createMember(url: string, token: string, input: Record<string, unknown>) {
  return gql<{ createMember: Record<string, unknown> & { id: string } }>(url, token,
    `mutation($input: CreateMemberInput!) { createMember(input: $input) { ${MEMBER_FIELDS} } }`, { input });
}
