import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createUserTokenVerifier } from '../src/auth/userTokens.ts';

/** Production verification: the identity provider's keys come from a JWKS URL (served locally here). */
let server: http.Server;
let jwksUrl: string;
let key: CryptoKey;
const claims = { tenant_id: '3f1c2a4e-1111-4c6b-9d7e-123456789abc', tenant: 'huangshi', role: 'DISTRICT_ADMIN', scope_unit: '5a6b7c8d-2222-4e3f-8a9b-abcdefabcdef', scopes: [] };

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = http.createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [jwk] })); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  jwksUrl = `http://127.0.0.1:${addr.port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sign = (k: CryptoKey, over: { iss?: string; exp?: string; role?: string } = {}) =>
  new SignJWT({ ...claims, role: over.role ?? claims.role }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('u1')
    .setIssuer(over.iss ?? 'https://idp.example').setAudience('trellis').setIssuedAt().setExpirationTime(over.exp ?? '5m').sign(k);

describe('user tokens verified against a JWKS URL', () => {
  it('accepts a token signed by the identity provider and maps its claims to a principal', async () => {
    const verify = createUserTokenVerifier({ issuer: 'https://idp.example', audience: 'trellis', jwksUrl });
    expect(await verify(await sign(key))).toEqual({ sub: 'u1', tenantId: claims.tenant_id, tenantSlug: 'huangshi', role: 'DISTRICT_ADMIN', scopeUnitId: claims.scope_unit, scopes: [] });
  });

  it('rejects another key, another issuer, an expired token and an administrator without a scope unit', async () => {
    const verify = createUserTokenVerifier({ issuer: 'https://idp.example', audience: 'trellis', jwksUrl });
    const other = (await generateKeyPair('RS256')).privateKey;
    await expect(verify(await sign(other))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verify(await sign(key, { iss: 'https://evil.example' }))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verify(await sign(key, { exp: '-1m' }))).rejects.toThrow(/expired/);
    const noScope = await new SignJWT({ ...claims, scope_unit: undefined }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('u1').setIssuer('https://idp.example').setAudience('trellis').setExpirationTime('5m').sign(key);
    await expect(verify(noScope)).rejects.toThrow(/DISTRICT_ADMIN needs a scope unit/);
  });

  it('refuses to start without a key source', () => {
    expect(() => createUserTokenVerifier({ issuer: 'x', audience: 'y' })).toThrow(/JWKS URL or a secret/);
  });
});
