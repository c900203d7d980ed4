import { z } from 'zod';
import { forbidden } from '../errors.ts';

/**
 * Roles a principal can hold. Administrators are bounded by `scopeUnitId` (their subtree);
 * a city administrator's scope is the whole tenant.
 */
export const Role = z.enum([
  'CITY_ADMIN',
  'DISTRICT_ADMIN',
  'STREET_ADMIN',
  'COMMUNITY_ADMIN',
  'MEMBER',
  'INTEGRATOR',
]);
export type Role = z.infer<typeof Role>;

/** Explicit permissions on top of the role (integrators hold nothing but these). */
export const Scope = z.enum([
  'org:read',
  'org:write',
  'members:read',
  'members:write',
  'members:personal-data',
  'services:read',
  'services:write',
  'assessment:read',
  'assessment:write',
  'assessment:results',
]);
export type Scope = z.infer<typeof Scope>;

export const Principal = z.object({
  /** Subject: a user id or an API client id. */
  sub: z.string().min(1),
  tenantId: z.uuid(),
  tenantSlug: z.string().min(1),
  role: Role,
  /** The org unit whose subtree bounds this principal; absent = whole tenant (city admin, integrator). */
  scopeUnitId: z.uuid().optional(),
  /** For MEMBER principals: the member record they are. */
  memberId: z.uuid().optional(),
  scopes: z.array(Scope).default([]),
});
export type Principal = z.infer<typeof Principal>;

const adminRoles: ReadonlySet<Role> = new Set(['CITY_ADMIN', 'DISTRICT_ADMIN', 'STREET_ADMIN', 'COMMUNITY_ADMIN']);

/** Roles below city level must carry the unit they administer. */
export function validatePrincipal(p: Principal): string | undefined {
  if (adminRoles.has(p.role) && p.role !== 'CITY_ADMIN' && !p.scopeUnitId) return `${p.role} needs a scope unit`;
  if (p.role === 'MEMBER' && !p.memberId && !p.scopeUnitId) return 'MEMBER needs a member id or scope unit';
  return undefined;
}

/** What each role may do without explicit scopes; integrators get only what the token lists. */
const roleScopes: Record<Role, readonly Scope[]> = {
  CITY_ADMIN: ['org:read', 'org:write', 'members:read', 'members:write', 'services:read', 'services:write', 'assessment:read', 'assessment:write', 'assessment:results'],
  DISTRICT_ADMIN: ['org:read', 'org:write', 'members:read', 'members:write', 'services:read', 'services:write', 'assessment:read', 'assessment:write', 'assessment:results'],
  STREET_ADMIN: ['org:read', 'org:write', 'members:read', 'members:write', 'services:read', 'services:write', 'assessment:read', 'assessment:write'],
  COMMUNITY_ADMIN: ['org:read', 'org:write', 'members:read', 'members:write', 'services:read', 'services:write', 'assessment:read', 'assessment:write'],
  MEMBER: ['org:read', 'services:read'],
  INTEGRATOR: [],
};

export function hasScope(p: Principal, scope: Scope): boolean {
  return roleScopes[p.role].includes(scope) || p.scopes.includes(scope);
}

export function isAdmin(p: Principal): boolean {
  return adminRoles.has(p.role);
}

/** Throws FORBIDDEN unless the principal holds `scope` (through its role or explicitly). */
export function requireScope(p: Principal, scope: Scope): void {
  if (!hasScope(p, scope)) throw forbidden(`This needs the "${scope}" permission, which your token does not carry.`);
}
