import DataLoader from 'dataloader';
import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { byIdLoader, groupLoader, groupRows, isUuid, sessionVariables, sqlArray, type Principal, type SummaryCache } from '@trellis/platform';
import { BigCommittee, CoBuildingAgreement, OrgUnit, PartTimeMember, StationedUnit, Tenant, UnitKind, orgUnitRow, type OrgUnitRow, type TenantRow } from './entities.ts';

interface CountRow { ancestor_id: string; kind: string; count: number }

/**
 * Per-request loaders: every list field and every entity reference costs one statement per level, not per item.
 * The tree reads a dashboard makes (the tenant, units, children, districts, counts by kind) go
 * through the running service's cache under the tenant's tree version and the caller's scope
 * (organisation.summary_version, bumped by every statement that changes them): a dashboard
 * read while the tree is unchanged costs one statement here instead of six.
 */
export function createLoaders(em: SqlEntityManager, principal: Principal, cache: SummaryCache) {
  const ids = (keys: readonly string[]) => keys.filter(isUuid);
  const scope = sessionVariables(principal)['app.scope_unit'];
  const cached = <V>(what: string, keys: readonly string[], load: (missing: readonly string[]) => Promise<Map<string, V>>) =>
    cache.through(em, 'organisation.summary_version', principal.tenantId, `${scope}|${what}`, keys, load);
  const units = (where: FilterQuery<OrgUnit>) => em.find(OrgUnit, where, { orderBy: { name: 'asc' } }).then((us) => us.map(orgUnitRow));
  return {
    tenant: new DataLoader<string, TenantRow | null>(async (keys) => {
      const got = await cached('tenant', ids(keys), async (missing) => new Map((await em.find(Tenant, { id: { $in: [...missing] } }))
        .map((t): [string, TenantRow] => [t.id, { id: t.id, slug: t.slug, name: t.name, kind: t.kind, createdAt: t.createdAt }])));
      return keys.map((k) => got.get(k) ?? null);
    }),
    orgUnit: new DataLoader<string, OrgUnitRow | null>(async (keys) => {
      const got = await cached('unit', ids(keys), async (missing) => new Map((await units({ id: { $in: [...missing] } })).map((u) => [u.id, u])));
      return keys.map((k) => got.get(k) ?? null);
    }),
    children: new DataLoader<string, OrgUnitRow[]>(async (parents) => {
      const got = await cached('children', ids(parents), async (missing) => groupRows(missing, await units({ parentId: { $in: [...missing] } }), (u) => u.parentId!));
      return parents.map((p) => got.get(p) ?? []);
    }),
    /** The active units one level below the root (districts; townships in a county), by name. */
    districts: new DataLoader<'all', OrgUnitRow[]>(async (keys) => {
      const got = await cached('districts', ['all'], async () => new Map([['all', await units({ depth: 1, status: 'ACTIVE' })]]));
      return keys.map(() => got.get('all') ?? []);
    }),
    unitKinds: byIdLoader(async () => em.find(UnitKind, {}, { orderBy: { sort: 'asc' } }), (k) => k.code),
    stationedUnit: byIdLoader((keys) => em.find(StationedUnit, { id: { $in: ids(keys) } }), (s) => s.id),
    stationedUnitsIn: groupLoader((units: readonly string[]) => em.find(StationedUnit, { locatedIn: { $in: [...units] } }, { orderBy: { name: 'asc' } }), (s) => s.locatedIn),
    agreementsOf: groupLoader((units: readonly string[]) => em.find(CoBuildingAgreement, { stationedUnitId: { $in: [...units] } }, { orderBy: { signedOn: 'desc' } }), (a) => a.stationedUnitId),
    committee: byIdLoader((keys) => em.find(BigCommittee, { id: { $in: ids(keys) } }), (c) => c.id),
    committeesHostedBy: groupLoader((units: readonly string[]) => em.find(BigCommittee, { hostId: { $in: [...units] } }, { orderBy: { name: 'asc' } }), (c) => c.hostId),
    committeeUnits: groupLoader(
      async (committees: readonly string[]) => em.execute<{ committee_id: string; stationed_unit_id: string }[]>(
        'select committee_id, stationed_unit_id from organisation.big_committee_unit where committee_id = any(?::uuid[]) order by joined_at',
        [sqlArray(committees)],
      ),
      (r) => r.committee_id,
    ),
    /** Active units below each unit, by kind, from the maintained rollup: one statement for any number of units. */
    unitCountsUnder: new DataLoader<string, CountRow[]>(async (unitIds) => {
      const got = await cached('counts', ids(unitIds), async (missing) => groupRows(missing, await em.execute<CountRow[]>(
        `select ancestor_id, kind, count from organisation.unit_count_rollup
          where ancestor_id = any(?::uuid[]) and count > 0 order by ancestor_id, kind`,
        [sqlArray(missing)],
      ), (r) => r.ancestor_id));
      return unitIds.map((u) => got.get(u) ?? []);
    }),
    history: groupLoader(
      async (units: readonly string[]) => em.execute<VersionRow[]>(
        `select unit_id, name, kind, form, parent_id, status, change, valid_from, valid_to
           from organisation.org_unit_version where unit_id = any(?::uuid[]) order by valid_from, id`,
        [sqlArray(units)],
      ),
      (r) => r.unit_id,
    ),
    partTimeMembers: groupLoader((committees: readonly string[]) => em.find(PartTimeMember, { committeeId: { $in: [...committees] } }, { orderBy: { status: 'asc', personName: 'asc' } }), (m) => m.committeeId),
  };
}
export interface VersionRow { unit_id: string; name: string; kind: string; form: string; parent_id: string | null; status: string; change: string; valid_from: Date; valid_to: Date | null }

export type Loaders = ReturnType<typeof createLoaders>;
