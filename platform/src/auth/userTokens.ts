import { SignJWT, jwtVerify, createRemoteJWKSet, errors as joseErrors, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { Principal, validatePrincipal } from './principal.ts';
import { unauthenticated } from '../errors.ts';

/**
 * User (and API client) tokens: what callers present to the gateway. Development signs them
 * with an HS256 secret; production verifies against the identity provider's JWKS.
 */
export interface UserTokenConfig {
  issuer: string;
  audience: string;
  /** HS256 secret (development). */
  secret?: string;
  /** JWKS URL of the identity provider (production). */
  jwksUrl?: string;
}

const claimsToPrincipal = (payload: JWTPayload) =>
  Principal.safeParse({
    sub: payload.sub,
    tenantId: payload.tenant_id,
    tenantSlug: payload.tenant,
    role: payload.role,
    scopeUnitId: payload.scope_unit ?? undefined,
    memberId: payload.member_id ?? undefined,
    scopes: payload.scopes ?? [],
  });

/**
 * How long a verified token is taken on trust before its signature is checked again: a client
 * sends the same token with every request, and a signature check costs more CPU than a small
 * query. Never past the token's own expiry; short enough that a key removed from the identity
 * provider's JWKS stops being accepted within a minute.
 */
const VERIFIED_FOR_MS = 60_000;

export function createUserTokenVerifier(cfg: UserTokenConfig) {
  const key = cfg.jwksUrl
    ? createRemoteJWKSet(new URL(cfg.jwksUrl))
    : new TextEncoder().encode(cfg.secret ?? '');
  if (!cfg.jwksUrl && !cfg.secret) throw new Error('User tokens need either a JWKS URL or a secret');
  // Only tokens that passed every check are kept; a refused one is checked afresh each time.
  const verified = new LRUCache<string, Principal>({ max: 20_000 });
  return async function verify(token: string): Promise<Principal> {
    const known = verified.get(token);
    if (known) return known;
    let payload: JWTPayload;
    try {
      const res = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        issuer: cfg.issuer,
        audience: cfg.audience,
        algorithms: cfg.jwksUrl ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
      });
      payload = res.payload;
    } catch (e) {
      const why = e instanceof joseErrors.JWTExpired ? 'the token has expired; get a new one' : 'the token is not valid';
      throw unauthenticated(`Authentication failed: ${why}.`);
    }
    const parsed = claimsToPrincipal(payload);
    if (!parsed.success) throw unauthenticated(`Authentication failed: the token's claims are incomplete (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}).`);
    const problem = validatePrincipal(parsed.data);
    if (problem) throw unauthenticated(`Authentication failed: ${problem}.`);
    const msLeft = payload.exp === undefined ? VERIFIED_FOR_MS : Math.min(VERIFIED_FOR_MS, payload.exp * 1000 - Date.now());
    if (msLeft > 0) verified.set(token, parsed.data, { ttl: msLeft });
    return parsed.data;
  };
}

/** Signs a development token (used by `npm run token`, the demo and tests). */
export async function signUserToken(cfg: { issuer: string; audience: string; secret: string }, p: Principal, ttlSeconds = 12 * 3600): Promise<string> {
  return new SignJWT({
    tenant_id: p.tenantId,
    tenant: p.tenantSlug,
    role: p.role,
    scope_unit: p.scopeUnitId,
    member_id: p.memberId,
    scopes: p.scopes,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(p.sub)
    .setIssuer(cfg.issuer)
    .setAudience(cfg.audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(cfg.secret));
}
