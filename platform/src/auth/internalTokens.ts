import { SignJWT, jwtVerify, importPKCS8, importSPKI, generateKeyPair, exportPKCS8, exportSPKI, type CryptoKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { Principal } from './principal.ts';
import { unauthenticated } from '../errors.ts';

/**
 * The gateway's credential for subgraphs. The gateway verifies the user's token, then signs a
 * short-lived JWT whose audience is the one subgraph it calls. Subgraphs accept nothing else:
 * not the user's own token (that would let a caller skip the gateway's limits), not a
 * credential minted for another subgraph, not an expired or altered one.
 *
 * EdDSA keys: only the gateway holds the private key, so a compromised subgraph cannot mint
 * credentials for its siblings.
 *
 * A credential names the principal, not the request (the request id travels in `x-request-id`),
 * so the gateway reuses one per principal and subgraph for half its lifetime and a subgraph
 * verifies each one once: an EdDSA signature costs more CPU than a whole small subgraph call.
 */
export const INTERNAL_ISSUER = 'trellis-gateway';
const TYP = 'trellis-internal+jwt';
export const INTERNAL_TTL_SECONDS = 30;
/** Credentials (and verified ones) kept per process: one per active principal and subgraph. */
const CACHE_ENTRIES = 20_000;

export interface InternalKeyPair { privateKeyPem: string; publicKeyPem: string }

export async function generateInternalKeyPair(): Promise<InternalKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

/**
 * Returns `sign(subgraph, principal)`. A credential is minted on first use and handed out again
 * until half its lifetime has passed, so one is always valid for at least ttl/2 seconds when sent.
 */
export async function createInternalSigner(privateKeyPem: string, ttlSeconds = INTERNAL_TTL_SECONDS) {
  const key: CryptoKey = await importPKCS8(privateKeyPem, 'EdDSA');
  const mint = (subgraph: string, principal: Principal): Promise<string> =>
    new SignJWT({ principal })
      .setProtectedHeader({ alg: 'EdDSA', typ: TYP })
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(subgraph)
      .setSubject(principal.sub)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
  // A non-positive lifetime (tests of expired credentials) is never reused.
  if (ttlSeconds <= 0) return mint;
  // The promise is kept, so concurrent calls for one principal share a single signature.
  const minted = new LRUCache<string, Promise<string>>({ max: CACHE_ENTRIES, ttl: (ttlSeconds * 1000) / 2 });
  return (subgraph: string, principal: Principal): Promise<string> => {
    const cacheKey = `${subgraph}\u0000${JSON.stringify(principal)}`;
    let token = minted.get(cacheKey);
    if (!token) {
      token = mint(subgraph, principal);
      minted.set(cacheKey, token);
      token.catch(() => minted.delete(cacheKey));
    }
    return token;
  };
}

export interface VerifiedCall { principal: Principal }

export async function createInternalVerifier(publicKeyPem: string, subgraph: string) {
  const key = await importSPKI(publicKeyPem, 'EdDSA');
  // Only credentials that verified are kept, each until its own expiry; an altered token is
  // another string and is verified (and refused) afresh.
  const verified = new LRUCache<string, VerifiedCall>({ max: CACHE_ENTRIES });
  return async function verify(authorization: string | undefined | null): Promise<VerifiedCall> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!token) throw unauthenticated('This service accepts only calls from the Trellis gateway; send your request to the gateway.');
    const known = verified.get(token);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, key, { issuer: INTERNAL_ISSUER, audience: subgraph, algorithms: ['EdDSA'], typ: TYP });
      const call = { principal: Principal.parse(payload.principal) };
      const msLeft = (payload.exp ?? 0) * 1000 - Date.now();
      if (msLeft > 0) verified.set(token, call, { ttl: msLeft });
      return call;
    } catch {
      throw unauthenticated('The gateway credential is missing, expired, altered or meant for another service.');
    }
  };
}
