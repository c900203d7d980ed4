import { SignJWT, jwtVerify, importPKCS8, importSPKI, generateKeyPair, exportPKCS8, exportSPKI, type CryptoKey } from 'jose';
import { Principal } from './principal.ts';
import { unauthenticated } from '../errors.ts';

/**
 * The gateway's per-call credential for subgraphs. The gateway verifies the user's token,
 * then signs a short-lived JWT whose audience is the one subgraph it calls. Subgraphs accept
 * nothing else: not the user's own token (that would let a caller skip the gateway's limits),
 * not a credential minted for another subgraph, not an expired or altered one.
 *
 * EdDSA keys: only the gateway holds the private key, so a compromised subgraph cannot mint
 * credentials for its siblings.
 */
export const INTERNAL_ISSUER = 'trellis-gateway';
const TYP = 'trellis-internal+jwt';
export const INTERNAL_TTL_SECONDS = 30;

export interface InternalKeyPair { privateKeyPem: string; publicKeyPem: string }

export async function generateInternalKeyPair(): Promise<InternalKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

export async function createInternalSigner(privateKeyPem: string, ttlSeconds = INTERNAL_TTL_SECONDS) {
  const key: CryptoKey = await importPKCS8(privateKeyPem, 'EdDSA');
  return (subgraph: string, principal: Principal, requestId: string): Promise<string> =>
    new SignJWT({ principal, rid: requestId })
      .setProtectedHeader({ alg: 'EdDSA', typ: TYP })
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(subgraph)
      .setSubject(principal.sub)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
}

export interface VerifiedCall { principal: Principal; requestId: string }

export async function createInternalVerifier(publicKeyPem: string, subgraph: string) {
  const key = await importSPKI(publicKeyPem, 'EdDSA');
  return async function verify(authorization: string | undefined | null): Promise<VerifiedCall> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!token) throw unauthenticated('This service accepts only calls from the Trellis gateway; send your request to the gateway.');
    try {
      const { payload } = await jwtVerify(token, key, { issuer: INTERNAL_ISSUER, audience: subgraph, algorithms: ['EdDSA'], typ: TYP });
      const principal = Principal.parse(payload.principal);
      return { principal, requestId: typeof payload.rid === 'string' ? payload.rid : 'unknown' };
    } catch {
      throw unauthenticated('The gateway credential is missing, expired, altered or meant for another service.');
    }
  };
}
