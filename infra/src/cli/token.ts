import { parseArgs } from 'node:util';
import { Role, Scope, signUserToken, validatePrincipal, type Principal } from '@trellis/platform';
import { readEnv, userTokenConfig } from '../env.ts';
import { devDatabase } from '../devdb.ts';
import { findTenant, findUnit } from '../tenants.ts';

const usage = `Prints a development JWT for the gateway.

  npm run token -- --tenant <slug> --role <role> [--scope <orgUnitId or exact unit name>] [--member <memberId>] [--scopes a,b] [--sub <id>] [--ttl <seconds>]

Roles: ${Role.options.join(', ')}
Scopes (for INTEGRATOR, or to add to a role): ${Scope.options.join(', ')}
Example: npm run token -- --tenant huangshi --role DISTRICT_ADMIN --scope 黄石港区`;

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' }, role: { type: 'string', default: 'CITY_ADMIN' }, scope: { type: 'string' },
    member: { type: 'string' }, scopes: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' }, help: { type: 'boolean' },
  },
});
if (values.help || !values.tenant) { console.log(usage); process.exit(values.help ? 0 : 1); }

const env = readEnv();
const cfg = userTokenConfig(env);
if (!cfg.secret) { console.error('Tokens can only be minted with a development secret (JWT_SECRET).'); process.exit(1); }
const db = await devDatabase(env.DATABASE_URL, () => {});
try {
  const tenant = await findTenant(db.adminUrl, values.tenant);
  if (!tenant) throw new Error(`No tenant "${values.tenant}". Start the platform once (npm start) to load the demo tenants (huangshi, haiyang).`);
  const unit = values.scope ? await findUnit(db.adminUrl, tenant.id, values.scope) : undefined;
  if (values.scope && !unit) throw new Error(`No unit "${values.scope}" in ${values.tenant}.`);
  const principal: Principal = {
    sub: values.sub ?? `dev-${values.role!.toLowerCase()}`,
    tenantId: tenant.id,
    tenantSlug: values.tenant,
    role: Role.parse(values.role),
    scopeUnitId: unit?.id,
    memberId: values.member,
    scopes: values.scopes ? values.scopes.split(',').map((s) => Scope.parse(s.trim())) : [],
  };
  const problem = validatePrincipal(principal);
  if (problem) throw new Error(problem);
  console.log(await signUserToken({ issuer: cfg.issuer, audience: cfg.audience, secret: cfg.secret }, principal, values.ttl ? Number(values.ttl) : undefined));
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
} finally {
  await db.stop();
}
