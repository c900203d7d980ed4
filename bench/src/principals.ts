// The people a benchmark speaks for: city, district and street staff of several tenants, each
// with their own token and their own variables, so no cache or request deduplication can answer
// one of them with another's result.
import pg from 'pg';
import { DEV_JWT_SECRET, signUserToken, type Principal } from '@trellis/platform';

export interface BenchPrincipal {
  label: string;
  tenantId: string;
  tenantSlug: string;
  role: Principal['role'];
  scopeUnitId?: string;
  /** The unit this principal looks at: its district (city and district staff) or its street. */
  focusUnitId: string;
  /** The kinds one level below `focusUnitId` (STREET under a district, COMMUNITY under a street). */
  drillKinds: string[];
  /** A street inside what the principal may see (for the fan-out and member-page scenarios). */
  streetId: string;
  /** A grid or community inside what the principal may see (for the write mix). */
  memberHomeId: string;
  /** An open service order inside what the principal may see (for matching); null when there is none. */
  openOrderId: string | null;
  /** Done orders only this principal will rate (closing them); consumed by the write mix. */
  doneOrders: string[];
  /** Assessment targets on public notice that has ended, decided by this principal's district; consumed by the write mix. */
  noticeTargets: string[];
  token: string;
}

export const userTokens = { issuer: 'trellis-dev', audience: 'trellis', secret: DEV_JWT_SECRET };

interface UnitRow { id: string; parent_id: string | null; kind: string; district: string | null; street: string | null }

/**
 * `main` principals from the first (largest) tenant — a quarter city staff, the rest district and
 * street staff — and `others` from each other tenant (at least 20 in all, across ≥ 3 tenants).
 */
export async function benchPrincipals(adminUrl: string, slugs: string[], main = 16, others = 4): Promise<BenchPrincipal[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const out: BenchPrincipal[] = [];
    for (const [t, slug] of slugs.entries()) {
      const tenant = (await client.query<{ id: string }>('select id from organisation.tenant where slug = $1', [slug])).rows[0];
      if (!tenant) throw new Error(`tenant ${slug} is not in this database; run npm run seed first`);
      // Admin connection: read the tree without a tenant setting (superuser bypasses row-level security).
      const { rows } = await client.query<UnitRow>(
        `select u.id::text, u.parent_id::text, u.kind,
                (select a.id::text from organisation.org_unit a where a.tenant_id = u.tenant_id and a.kind = 'DISTRICT' and a.path @> u.path limit 1) as district,
                (select a.id::text from organisation.org_unit a where a.tenant_id = u.tenant_id and a.kind = 'STREET' and a.path @> u.path limit 1) as street
           from organisation.org_unit u where u.tenant_id = $1 and u.kind in ('DISTRICT', 'STREET') order by u.path`, [tenant.id]);
      const districts = rows.filter((r) => r.kind === 'DISTRICT');
      const streets = rows.filter((r) => r.kind === 'STREET');
      const grids = (await client.query<{ id: string; street: string }>(
        `select distinct on (s.id) g.id::text, s.id::text as street from organisation.org_unit s
           join organisation.org_unit g on g.tenant_id = s.tenant_id and g.kind = 'GRID' and g.path <@ s.path
          where s.tenant_id = $1 and s.kind = 'STREET' order by s.id, g.path`, [tenant.id])).rows;
      const gridOf = new Map(grids.map((g) => [g.street, g.id]));
      // Open and done orders per street (orders carry their unit's path), and targets ready to finalise per district.
      // By unit id (indexed), not by path: an order's path has no index to walk.
      const orders = (await client.query<{ street: string; id: string; state: string }>(
        `with units as (select u.id, s.id as street from organisation.org_unit s
                          join organisation.org_unit u on u.tenant_id = s.tenant_id and u.path <@ s.path
                         where s.tenant_id = $1 and s.kind = 'STREET')
         select units.street::text, o.id::text, o.state from units
          cross join lateral (select o.id, o.state from services.service_order o
                               where o.tenant_id = $1 and o.unit_id = units.id and o.state in ('SUBMITTED', 'TRIAGED', 'POSTED', 'DONE')
                               limit 100) o`, [tenant.id])).rows;
      const openOf = new Map<string, string>();
      const doneOf = new Map<string, string[]>();
      for (const o of orders) {
        if (o.state === 'DONE') doneOf.set(o.street, [...(doneOf.get(o.street) ?? []), o.id]);
        else if (!openOf.has(o.street)) openOf.set(o.street, o.id);
      }
      const notice = (await client.query<{ decider: string; id: string }>(
        `select decider_id::text as decider, id::text from assessment.target where tenant_id = $1 and state = 'NOTICE' and notice_ends_at < now() order by id`, [tenant.id])).rows;
      const noticeOf = new Map<string, string[]>();
      for (const x of notice) noticeOf.set(x.decider, [...(noticeOf.get(x.decider) ?? []), x.id]);
      const n = t === 0 ? main : others;
      for (let i = 0; i < n; i++) {
        const role: Principal['role'] = i % 4 === 0 ? 'CITY_ADMIN' : i % 4 === 3 ? 'STREET_ADMIN' : 'DISTRICT_ADMIN';
        const district = districts[i % districts.length]!;
        const street = role === 'STREET_ADMIN'
          ? streets[(i * 7) % streets.length]!
          : streets.filter((s) => s.district === district.id)[i % Math.max(1, streets.filter((s) => s.district === district.id).length)] ?? streets[0]!;
        const scopeUnitId = role === 'DISTRICT_ADMIN' ? district.id : role === 'STREET_ADMIN' ? street.id : undefined;
        const label = `${slug}/${role.toLowerCase()}-${i}`;
        out.push({
          label, tenantId: tenant.id, tenantSlug: slug, role, scopeUnitId,
          focusUnitId: role === 'STREET_ADMIN' ? street.id : district.id,
          drillKinds: role === 'STREET_ADMIN' ? ['COMMUNITY'] : ['STREET'],
          streetId: street.id,
          memberHomeId: gridOf.get(street.id) ?? street.id,
          openOrderId: openOf.get(street.id) ?? null,
          // Each done order and each target goes to one principal only: concurrent writers never race for one.
          doneOrders: take(doneOf, street.id, 200),
          noticeTargets: role === 'DISTRICT_ADMIN' ? take(noticeOf, district.id, 200) : [],
          token: await signUserToken(userTokens, { sub: `bench-${label}`, tenantId: tenant.id, tenantSlug: slug, role, scopeUnitId, scopes: [] }),
        });
      }
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Removes and returns up to `n` of the items listed under `key`. */
function take(m: Map<string, string[]>, key: string, n: number): string[] {
  const xs = m.get(key) ?? [];
  m.set(key, xs.slice(n));
  return xs.slice(0, n);
}
