import { z } from 'zod';
import { DEV_JWT_SECRET, commonEnv, loadConfig } from '@trellis/platform';

/** Every variable the platform reads, in one place (documented in the README). */
export const platformEnv = commonEnv.extend({
  DATABASE_URL: z.url().optional().describe('Administrative PostgreSQL URL; unset = embedded PostgreSQL under .data/'),
  DB_APP_PASSWORD: z.string().min(1).default('trellis-dev'),
  JWT_SECRET: z.string().min(16).optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().default('trellis-dev'),
  JWT_AUDIENCE: z.string().default('trellis'),
  INTERNAL_JWT_PRIVATE_KEY: z.string().optional(),
  INTERNAL_JWT_PUBLIC_KEY: z.string().optional(),
  GATEWAY_PORT: z.coerce.number().int().min(0).default(4000),
  SUBGRAPH_PORT: z.coerce.number().int().min(0).optional(),
  GATEWAY_URL: z.url().optional().describe('Gateway the assessment service reads computed-indicator figures from; default http://127.0.0.1:GATEWAY_PORT/graphql'),
  SUBGRAPH_URLS: z.string().optional().describe('name=url,… for the gateway when subgraphs run elsewhere'),
  HOST: z.string().default('127.0.0.1'),
  DEMO_DATA: z.enum(['true', 'false']).default('true'),
}).superRefine((env, ctx) => {
  if (env.NODE_ENV === 'production' && !env.JWT_JWKS_URL && !env.JWT_SECRET) ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'production needs JWT_JWKS_URL (or an explicit JWT_SECRET)' });
  if (env.NODE_ENV === 'production' && !env.DATABASE_URL) ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'production needs DATABASE_URL' });
});
export type PlatformEnv = z.infer<typeof platformEnv>;

export const readEnv = () => loadConfig(platformEnv);

export function userTokenConfig(env: PlatformEnv) {
  return { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, secret: env.JWT_SECRET ?? (env.NODE_ENV === 'production' ? undefined : DEV_JWT_SECRET), jwksUrl: env.JWT_JWKS_URL };
}
