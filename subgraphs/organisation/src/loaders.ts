import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { byIdLoader, groupLoader, isUuid, sqlArray } from '@trellis/platform';
import { BigCommittee, CoBuildingAgreement, OrgUnit, PartTimeMember, StationedUnit, UnitKind } from './entities.ts';

/** Per-request loaders: every list field and every entity reference costs one statement per level, not per item. */
export function createLoaders(em: SqlEntityManager) {
  const ids = (keys: readonly string[]) => keys.filter(isUuid);
  return {
    orgUnit: byIdLoader((keys) => em.find(OrgUnit, { id: { $in: ids(keys) } }), (u) => u.id),
    children: groupLoader((parents: readonly string[]) => em.find(OrgUnit, { parentId: { $in: [...parents] } }, { orderBy: { name: 'asc' } }), (u) => u.parentId!),
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
    unitCountsUnder: groupLoader(
      async (unitIds: readonly string[]) => em.execute<{ ancestor_id: string; kind: string; count: number }[]>(
        `select ancestor_id, kind, count from organisation.unit_count_rollup
          where ancestor_id = any(?::uuid[]) and count > 0 order by ancestor_id, kind`,
        [sqlArray(unitIds)],
      ),
      (r) => r.ancestor_id,
    ),
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
