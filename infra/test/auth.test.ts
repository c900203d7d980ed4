import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, importPKCS8 } from 'jose';
import { DEV_JWT_SECRET, createInternalSigner, generateInternalKeyPair, signUserToken } from '@trellis/platform';
import { testInternalKeys, gql, codes } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '../src/testing.ts';

let t: TestStack;
let userToken: string;
beforeAll(async () => {
  t = await startTestStack();
  userToken = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

const principal = () => ({ sub: 'x', tenantId: t.tenants.huangshi!.id, tenantSlug: 'huangshi', role: 'CITY_ADMIN' as const, scopes: [] });
const subgraphUrl = (name: string) => t.stack.subgraphs.find((s) => s.name === name)!.url;
const query = '{ myTenant { name } }';

describe('gateway authentication', () => {
  it('answers UNAUTHENTICATED (401) without a token, with a malformed one, and with one signed by another secret', async () => {
    for (const token of [undefined, 'not-a-jwt', await new SignJWT({ tenant: 'huangshi' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('trellis-test').setAudience('trellis').setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-of-enough-length'))]) {
      const r = await gql(t.url, token, query);
      expect(r.status).toBe(401);
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('answers with data for a valid token', async () => {
    const r = await gql<{ myTenant: { name: string } }>(t.url, userToken, query);
    expect(r.data!.myTenant.name).toBe('黄石市');
  });

  it('answers BAD_USER_INPUT, naming the field, for variables that do not fit their types', async () => {
    const r = await gql(t.url, userToken, 'mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }', {
      i: { orgUnitId: t.unit('huangshi', '中共黄石市委/黄石港区'), name: '缺学历', idCardNumber: '420202197001010010', stage: 'FULL', joinedOn: '1995-07-01', stageSince: '1996-07-01' },
    });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0]!.message).toMatch(/education/);
    const { rows } = await t.db.query('select 1 from members.member where name = $1', ['缺学历']);
    expect(rows).toEqual([]);
  });

  it('refuses a token it has accepted once it has expired', async () => {
    const token = await signUserToken({ issuer: 'trellis-test', audience: 'trellis', secret: DEV_JWT_SECRET }, { ...principal(), sub: 'short-lived' }, 1);
    expect((await gql(t.url, token, query)).status).toBe(200);
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const r = await gql(t.url, token, query);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.message).toMatch(/expired/);
  });
});

describe('subgraphs accept only the gateway credential for themselves', () => {
  it('accepts a fresh gateway credential for the right audience', async () => {
    const sign = await createInternalSigner(testInternalKeys().privateKeyPem);
    const r = await gql<{ myTenant: { name: string } }>(subgraphUrl('organisation'), await sign('organisation', principal()), query);
    expect(r.data?.myTenant.name).toBe('黄石市');
  });

  it('reuses a credential per principal and subgraph, and signs another for another principal or subgraph', async () => {
    const sign = await createInternalSigner(testInternalKeys().privateKeyPem);
    const first = await sign('organisation', principal());
    expect(await sign('organisation', principal())).toBe(first);
    expect(await sign('members', principal())).not.toBe(first);
    expect(await sign('organisation', { ...principal(), sub: 'y' })).not.toBe(first);
    expect(await sign('organisation', { ...principal(), role: 'DISTRICT_ADMIN', scopeUnitId: t.unit('huangshi', '中共黄石市委/黄石港区') })).not.toBe(first);
  });

  it('refuses a credential it has accepted once it has expired', async () => {
    const credential = await (await createInternalSigner(testInternalKeys().privateKeyPem, 1))('organisation', principal());
    expect((await gql(subgraphUrl('organisation'), credential, query)).status).toBe(200);
    const exp = JSON.parse(Buffer.from(credential.split('.')[1]!, 'base64url').toString()).exp as number;
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const r = await gql(subgraphUrl('organisation'), credential, query);
    expect(r.status).toBe(401);
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
  });

  const rejected: [string, () => Promise<string | undefined>][] = [
    ['no credential', async () => undefined],
    ["the user's own JWT", async () => userToken],
    ['a credential for another subgraph', async () => (await createInternalSigner(testInternalKeys().privateKeyPem))('members', principal())],
    ['an expired credential', async () => (await createInternalSigner(testInternalKeys().privateKeyPem, -5))('organisation', principal())],
    ['a credential signed by another key', async () => (await createInternalSigner((await generateInternalKeyPair()).privateKeyPem))('organisation', principal())],
    ['a credential with altered claims', async () => {
      const good = await (await createInternalSigner(testInternalKeys().privateKeyPem))('organisation', principal());
      const [h, p, s] = good.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      claims.principal.tenantId = t.tenants.haiyang!.id;
      return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    }],
    ['a credential with the wrong issuer', async () => new SignJWT({ principal: principal() }).setProtectedHeader({ alg: 'EdDSA', typ: 'trellis-internal+jwt' }).setIssuer('someone-else').setAudience('organisation').setExpirationTime('30s').sign(await importPKCS8(testInternalKeys().privateKeyPem, 'EdDSA'))],
  ];
  for (const [label, make] of rejected) {
    it(`rejects ${label} with UNAUTHENTICATED`, async () => {
      const r = await gql(subgraphUrl('organisation'), await make(), query);
      expect(r.status).toBe(401);
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.data ?? null).toBeNull();
    });
  }

  it('every subgraph answers health and readiness without a credential, and nothing else', async () => {
    for (const s of t.stack.subgraphs) {
      const base = s.url.replace('/graphql', '');
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      expect((await gql(s.url, undefined, '{ __typename }')).status).toBe(401);
    }
    expect((await fetch(t.url.replace('/graphql', '/health'))).status).toBe(200);
  });
});
