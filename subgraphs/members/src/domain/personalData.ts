import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { badInput, loadConfig } from '@trellis/platform';

/** Development key for personal data; refused in production. */
export const DEV_MEMBERS_DATA_KEY = 'trellis-members-development-key-do-not-use-in-production';

const env = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Secret from which the AES-256-GCM key and the HMAC key for duplicate detection are derived. */
  MEMBERS_DATA_KEY: z.string().min(32, 'MEMBERS_DATA_KEY must be at least 32 characters').default(DEV_MEMBERS_DATA_KEY),
}).refine((e) => e.NODE_ENV !== 'production' || e.MEMBERS_DATA_KEY !== DEV_MEMBERS_DATA_KEY, { message: 'set MEMBERS_DATA_KEY in production', path: ['MEMBERS_DATA_KEY'] });

let keys: { enc: Buffer; idx: Buffer } | undefined;
function getKeys() {
  if (!keys) {
    const secret = loadConfig(env).MEMBERS_DATA_KEY;
    keys = { enc: createHash('sha256').update(`enc:${secret}`).digest(), idx: createHash('sha256').update(`idx:${secret}`).digest() };
  }
  return keys;
}

// Random IVs drawn from the CSPRNG a few thousand at a time: one system call per 4,096
// encryptions instead of one each (bulk imports and the generator encrypt a million numbers).
let ivPool = Buffer.alloc(0);
let ivNext = 0;
function nextIv(): Buffer {
  if (ivNext + 12 > ivPool.length) { ivPool = randomBytes(12 * 4096); ivNext = 0; }
  ivNext += 12;
  return ivPool.subarray(ivNext - 12, ivNext);
}

/** AES-256-GCM; the additional data binds a ciphertext to its tenant and member (rows cannot swap ciphertexts). */
export function encrypt(plain: string, aad: string): string {
  const iv = nextIv();
  const c = createCipheriv('aes-256-gcm', getKeys().enc, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), data.toString('base64')].join('.');
}

export function decrypt(stored: string, aad: string): string {
  const [v, iv, tag, data] = stored.split('.');
  if (v !== 'v1' || !iv || !tag || !data) throw new Error('unknown personal-data ciphertext format');
  const d = createDecipheriv('aes-256-gcm', getKeys().enc, Buffer.from(iv, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
}

/** Keyed hash of an ID number per tenant: finds duplicates without decrypting. */
export const blindIndex = (tenantId: string, value: string) => createHmac('sha256', getKeys().idx).update(`${tenantId}:${value}`).digest('hex');

/** `420202196003134450` → `4202**********4450`. */
export const maskIdCard = (n: string) => `${n.slice(0, 4)}${'*'.repeat(Math.max(0, n.length - 8))}${n.slice(-4)}`;
/** `13919375836` → `139****5836`. */
export const maskPhone = (p: string) => (p.length <= 7 ? '*'.repeat(p.length) : `${p.slice(0, 3)}${'*'.repeat(p.length - 7)}${p.slice(-4)}`);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The check character of the first 17 digits of a citizen ID number (GB 11643). */
export const idCardCheck = (first17: string) => CHECK[[...first17].reduce((s, ch, i) => s + Number(ch) * WEIGHTS[i]!, 0) % 11]!;

/**
 * Validates an 18-character citizen ID number (GB 11643: region, birth date, sequence whose
 * parity gives the gender, check character) and returns what it encodes.
 */
export function parseIdCard(raw: string, field = 'input.idCardNumber'): { number: string; birthDate: string; gender: 'MALE' | 'FEMALE' } {
  const n = raw.trim().toUpperCase();
  if (!/^[0-9]{17}[0-9X]$/.test(n)) throw badInput('The ID card number must have 18 characters: 17 digits and a final digit or X.', field);
  if (idCardCheck(n.slice(0, 17)) !== n[17]) throw badInput('The ID card number fails its check digit (GB 11643); check it for a typing error.', field);
  const birthDate = `${n.slice(6, 10)}-${n.slice(10, 12)}-${n.slice(12, 14)}`;
  const d = new Date(`${birthDate}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== birthDate) throw badInput(`The ID card number encodes an impossible birth date (${birthDate}).`, field);
  return { number: n, birthDate, gender: Number(n[16]) % 2 === 1 ? 'MALE' : 'FEMALE' };
}
