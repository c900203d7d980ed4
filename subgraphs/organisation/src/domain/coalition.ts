import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { badInput, conflict, notFound, sqlArray } from "@trellis/platform";
import { BigCommittee, PartTimeMember, StationedUnit } from '../entities.ts';
import { isUuid, requireUnit } from './tree.ts';

/** Stationed units, co-building agreements and big committees (the coalition graph beside the tree). */

const CATEGORIES = new Set(['AGENCY', 'STATE_OWNED_ENTERPRISE', 'SCHOOL', 'HOSPITAL', 'PRIVATE_ENTERPRISE', 'SOCIAL_ORGANISATION']);
const HOST_KINDS = new Set(['COMMUNITY', 'STREET', 'TOWNSHIP']);

async function requireStationed(em: SqlEntityManager, id: string, field: string): Promise<StationedUnit> {
  const s = isUuid(id) ? await em.findOne(StationedUnit, { id }) : null;
  if (!s) throw badInput(`${field}: stationed unit ${id} does not exist or is outside what you may see.`, field);
  return s;
}

export async function requireCommittee(em: SqlEntityManager, id: string): Promise<BigCommittee> {
  const c = isUuid(id) ? await em.findOne(BigCommittee, { id }) : null;
  if (!c) throw notFound('BigCommittee', id);
  return c;
}

const trimmed = (v: string, field: string, max = 100) => {
  const t = v.trim();
  if (!t || t.length > max) throw badInput(`${field}: must be 1–${max} characters.`, field);
  return t;
};

export async function createStationedUnit(em: SqlEntityManager, input: { name: string; category: string; locatedInId: string }): Promise<string> {
  const unit = await requireUnit(em, input.locatedInId, 'locatedInId');
  if (unit.depth < 1) throw badInput('locatedInId: a stationed unit is located in a district, street or community, not at the root.', 'locatedInId');
  if (!CATEGORIES.has(input.category)) throw badInput(`category: unknown category ${input.category}.`, 'category');
  const id = randomUUID();
  await em.execute('insert into organisation.stationed_unit (id, name, category, located_in) values (?, ?, ?, ?)', [id, trimmed(input.name, 'name'), input.category, unit.id]);
  return id;
}

export async function signAgreement(em: SqlEntityManager, input: { stationedUnitId: string; partnerId: string; signedOn: Date; validUntil?: Date | null; pledges: string[] }): Promise<string> {
  await requireStationed(em, input.stationedUnitId, 'stationedUnitId');
  const partner = await requireUnit(em, input.partnerId, 'partnerId');
  const pledges = input.pledges.map((p) => p.trim()).filter(Boolean);
  if (!pledges.length) throw badInput('pledges: list at least one pledged resource (e.g. 提供会议室).', 'pledges');
  if (input.validUntil && input.validUntil < input.signedOn) throw badInput('validUntil: must not be before signedOn.', 'validUntil');
  const id = randomUUID();
  await em.execute(
    'insert into organisation.co_building_agreement (id, stationed_unit_id, partner_id, signed_on, valid_until, pledges) values (?, ?, ?, ?, ?, ?::text[])',
    [id, input.stationedUnitId, partner.id, input.signedOn, input.validUntil ?? null, sqlArray(pledges)],
  );
  return id;
}

export async function formCommittee(em: SqlEntityManager, hostId: string, name: string): Promise<string> {
  const host = await requireUnit(em, hostId, 'hostId');
  if (!HOST_KINDS.has(host.kind)) throw badInput(`hostId: a big committee is hosted by a community or street committee, not a ${host.kind}.`, 'hostId');
  const id = randomUUID();
  await em.execute('insert into organisation.big_committee (id, host_id, name) values (?, ?, ?)', [id, host.id, trimmed(name, 'name')]);
  return id;
}

export async function addMemberUnit(em: SqlEntityManager, committeeId: string, stationedUnitId: string): Promise<void> {
  const c = await requireCommittee(em, committeeId);
  const s = await requireStationed(em, stationedUnitId, 'stationedUnitId');
  const rows = await em.execute<unknown[]>(
    'insert into organisation.big_committee_unit (committee_id, stationed_unit_id) values (?, ?) on conflict do nothing returning 1',
    [c.id, s.id],
  );
  if (!rows.length) throw conflict(`${s.name} is already a member of ${c.name}.`);
}

export async function recommendPartTimeMember(em: SqlEntityManager, input: { committeeId: string; personName: string; stationedUnitId: string; position: string }): Promise<string> {
  const c = await requireCommittee(em, input.committeeId);
  const s = await requireStationed(em, input.stationedUnitId, 'stationedUnitId');
  const member = await em.execute<unknown[]>('select 1 from organisation.big_committee_unit where committee_id = ? and stationed_unit_id = ?', [c.id, s.id]);
  if (!member.length) throw badInput(`stationedUnitId: ${s.name} is not a member unit of ${c.name}; add it first.`, 'stationedUnitId');
  const id = randomUUID();
  await em.execute(
    'insert into organisation.part_time_member (id, committee_id, person_name, stationed_unit_id, position) values (?, ?, ?, ?, ?)',
    [id, c.id, trimmed(input.personName, 'personName', 50), s.id, trimmed(input.position, 'position', 50)],
  );
  return id;
}

/** RECOMMENDED → APPOINTED → EXITED; any other step is refused with the current status named. */
export async function advancePartTimeMember(em: SqlEntityManager, id: string, to: 'APPOINTED' | 'EXITED', on: Date): Promise<void> {
  const m = isUuid(id) ? await em.findOne(PartTimeMember, { id }) : null;
  if (!m) throw notFound('PartTimeMember', id);
  const from = to === 'APPOINTED' ? 'RECOMMENDED' : 'APPOINTED';
  if (m.status !== from) throw badInput(`id: ${m.personName} is ${m.status}; only a ${from} part-time member can become ${to}.`, 'id');
  if (to === 'EXITED' && m.appointedOn && on < new Date(m.appointedOn)) throw badInput('on: the exit date is before the appointment date.', 'on');
  const column = to === 'APPOINTED' ? 'appointed_on' : 'exited_on';
  await em.execute(`update organisation.part_time_member set status = ?, ${column} = ? where id = ? and status = ?`, [to, on, m.id, from]);
}
