import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, isUuid, notFound, sqlArray, unitLabel } from '@trellis/platform';
import { OrgUnit, UnitKind } from '../entities.ts';

/**
 * Tree operations. Reads and writes go through the request's EntityManager, so row-level
 * security applies: a unit outside the caller's tenant or scope is simply not there, and is
 * reported as such (never as "forbidden", which would confirm it exists).
 */

const FORMS = new Set(['COMMITTEE', 'GENERAL_BRANCH', 'BRANCH', 'GROUP']);

export async function requireUnit(em: SqlEntityManager, id: string, field = 'id'): Promise<OrgUnit> {
  const unit = isUuid(id) ? await em.findOne(OrgUnit, { id }) : null;
  if (!unit) throw field === 'id' ? notFound('OrgUnit', id) : badInput(`${field}: unit ${id} does not exist or is outside what you may see.`, field);
  return unit;
}

export { isUuid };

async function requireKind(em: SqlEntityManager, code: string): Promise<UnitKind> {
  const kind = await em.findOne(UnitKind, { code });
  if (!kind) {
    const known = (await em.find(UnitKind, {}, { orderBy: { sort: 'asc' } })).map((k) => k.code);
    throw badInput(`kind: "${code}" is not a unit kind of this tenant; use one of ${known.join(', ')}.`, 'kind');
  }
  return kind;
}

function assertParentAccepts(parent: OrgUnit, kind: UnitKind, field: string) {
  if (parent.status !== 'ACTIVE') throw badInput(`${field}: ${parent.name} is ${parent.status.toLowerCase()} and cannot hold units.`, field);
  if (!kind.allowedParents.includes(parent.kind)) {
    throw badInput(`${field}: a ${kind.code} (${kind.name}) may not sit under a ${parent.kind} (${parent.name}); allowed parents: ${kind.allowedParents.join(', ') || 'none (root kind)'}.`, field);
  }
}

function cleanName(name: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 100) throw badInput('name: must be 1–100 characters.', 'name');
  return n;
}

async function assertNameFree(em: SqlEntityManager, parentId: string, name: string, exceptId?: string) {
  const clash = await em.findOne(OrgUnit, { parentId, name, status: 'ACTIVE', ...(exceptId ? { id: { $ne: exceptId } } : {}) });
  if (clash) throw badInput(`name: the parent already has an active unit called ${name}.`, 'name');
}

export async function createUnit(em: SqlEntityManager, input: { parentId: string; kind: string; name: string; form?: string | null }): Promise<string> {
  const parent = await requireUnit(em, input.parentId, 'parentId');
  const kind = await requireKind(em, input.kind);
  assertParentAccepts(parent, kind, 'parentId');
  const name = cleanName(input.name);
  await assertNameFree(em, parent.id, name);
  const form = input.form ?? kind.defaultForm;
  if (!FORMS.has(form)) throw badInput(`form: unknown form ${form}.`, 'form');
  const id = randomUUID();
  await em.execute(
    `insert into organisation.org_unit (id, parent_id, kind, form, name, path)
     values (?, ?, ?, ?, ?, ?::ltree || text2ltree(?))`,
    [id, parent.id, kind.code, form, name, parent.path, unitLabel(id)],
  );
  return id;
}

export async function renameUnit(em: SqlEntityManager, id: string, newName: string): Promise<void> {
  const unit = await requireUnit(em, id);
  const name = cleanName(newName);
  if (unit.parentId) await assertNameFree(em, unit.parentId, name, unit.id);
  await em.execute('update organisation.org_unit set name = ? where id = ?', [name, unit.id]);
}

/** Moves a unit with its subtree: every descendant's path is rewritten in one statement. */
export async function moveUnit(em: SqlEntityManager, id: string, newParentId: string): Promise<void> {
  const unit = await requireUnit(em, id);
  const parent = await requireUnit(em, newParentId, 'newParentId');
  if (!unit.parentId) throw badInput('id: the root of the tree cannot be moved.', 'id');
  if (parent.id === unit.id || parent.path.split('.').includes(unitLabel(unit.id))) {
    throw badInput(`newParentId: ${parent.name} lies inside the subtree of ${unit.name}; moving there would create a cycle.`, 'newParentId');
  }
  const kind = await requireKind(em, unit.kind);
  assertParentAccepts(parent, kind, 'newParentId');
  if (parent.id === unit.parentId) return;
  await assertNameFree(em, parent.id, unit.name, unit.id);
  await moveSubtree(em, unit, parent);
}

async function moveSubtree(em: SqlEntityManager, unit: OrgUnit, parent: OrgUnit): Promise<void> {
  // One statement: the unit gets its new parent and every row of the subtree its new path, so
  // followers see one MOVED event for the unit and one ANCESTRY event per descendant.
  await em.execute(
    `update organisation.org_unit
        set path = ?::ltree || subpath(path, nlevel(?::ltree) - 1),
            parent_id = case when id = ? then ?::uuid else parent_id end
      where path <@ ?::ltree`,
    [parent.path, unit.path, unit.id, parent.id, unit.path],
  );
}

export async function mergeUnits(em: SqlEntityManager, sourceId: string, targetId: string): Promise<void> {
  if (sourceId === targetId) throw badInput('targetId: a unit cannot be merged into itself.', 'targetId');
  const source = await requireUnit(em, sourceId, 'sourceId');
  const target = await requireUnit(em, targetId, 'targetId');
  if (source.kind !== target.kind) throw badInput(`targetId: only units of the same kind merge; ${source.name} is ${source.kind}, ${target.name} is ${target.kind}.`, 'targetId');
  if (source.status !== 'ACTIVE' || target.status !== 'ACTIVE') throw badInput('sourceId: both units must be active to merge.', 'sourceId');
  if (target.path.split('.').includes(unitLabel(source.id))) throw badInput('targetId: the target lies inside the source.', 'targetId');
  const children = await em.find(OrgUnit, { parentId: source.id, status: 'ACTIVE' });
  for (const child of children) {
    await assertNameFree(em, target.id, child.name);
    await moveSubtree(em, child, target);
  }
  await em.execute(`update organisation.org_unit set status = 'MERGED', merged_into = ? where id = ?`, [target.id, source.id]);
}

export async function dissolveUnit(em: SqlEntityManager, id: string): Promise<void> {
  const unit = await requireUnit(em, id);
  if (!unit.parentId) throw badInput('id: the root of the tree cannot be dissolved.', 'id');
  if (unit.status !== 'ACTIVE') throw badInput(`id: ${unit.name} is already ${unit.status.toLowerCase()}.`, 'id');
  const active = await em.count(OrgUnit, { parentId: unit.id, status: 'ACTIVE' });
  if (active > 0) throw badInput(`id: ${unit.name} still has ${active} active child unit(s); move or dissolve them first.`, 'id');
  await em.execute(`update organisation.org_unit set status = 'DISSOLVED' where id = ?`, [unit.id]);
}

/**
 * Runs a tree change that took effect at `effectiveFrom` (recorded late). The instant may not
 * lie in the future; it may not precede the last recorded change of a unit being changed (so
 * each unit's history stays a sequence); and units it relies on (a new parent) must have existed
 * then. The history trigger reads the setting; it is cleared afterwards.
 */
export async function withEffectiveDate<T>(
  em: SqlEntityManager, now: Date, units: { changes: string[]; needs?: string[] }, effectiveFrom: Date | null | undefined, work: () => Promise<T>,
): Promise<T> {
  if (!effectiveFrom) return work();
  if (effectiveFrom > now) throw badInput('effectiveFrom: a change cannot take effect in the future; record it when it happens.', 'effectiveFrom');
  const changes = units.changes.filter(isUuid);
  if (changes.length) {
    const rows = await em.execute<{ last: Date | null }[]>(
      'select max(valid_from) as last from organisation.org_unit_version where unit_id = any(?::uuid[])', [sqlArray(changes)]);
    const last = rows[0]?.last;
    if (last && effectiveFrom < new Date(last)) {
      throw badInput(`effectiveFrom: must not be before the last recorded change (${new Date(last).toISOString()}).`, 'effectiveFrom');
    }
  }
  for (const id of (units.needs ?? []).filter(isUuid)) {
    const existed = await em.execute<unknown[]>(
      `select 1 from organisation.org_unit_version where unit_id = ? and status = 'ACTIVE' and valid_from <= ? and (valid_to is null or valid_to > ?)`,
      [id, effectiveFrom, effectiveFrom]);
    if (!existed.length) throw badInput(`effectiveFrom: unit ${id} did not exist (or was not active) on ${effectiveFrom.toISOString()}.`, 'effectiveFrom');
  }
  await em.execute(`select set_config('app.effective_from', ?, true)`, [effectiveFrom.toISOString()]);
  // On failure the request's transaction rolls back (and with it the setting); resetting it in
  // an aborted transaction would only hide the original error.
  const result = await work();
  await em.execute(`select set_config('app.effective_from', '', true)`);
  return result;
}
