import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Entities map the organisation schema's tables; DDL, policies and triggers live in migrations/. */

export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'organisation.tenant',
  properties: {
    id: p.uuid().primary(),
    slug: p.string(),
    name: p.string(),
    kind: p.string(),
    createdAt: p.datetime().fieldName('created_at'),
  },
});
export type Tenant = InferEntity<typeof Tenant>;
/** A tenant as plain data (see OrgUnitRow). */
export type TenantRow = Pick<Tenant, 'id' | 'slug' | 'name' | 'kind' | 'createdAt'>;

export const UnitKind = defineEntity({
  name: 'UnitKind',
  tableName: 'organisation.unit_kind',
  properties: {
    tenantId: p.uuid().primary().fieldName('tenant_id'),
    code: p.string().primary(),
    name: p.string(),
    allowedParents: p.array().fieldName('allowed_parents'),
    special: p.boolean(),
    defaultForm: p.string().fieldName('default_form'),
    sort: p.integer(),
  },
});
export type UnitKind = InferEntity<typeof UnitKind>;

export const OrgUnit = defineEntity({
  name: 'OrgUnit',
  tableName: 'organisation.org_unit',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    parentId: p.uuid().nullable().fieldName('parent_id'),
    kind: p.string(),
    form: p.string(),
    name: p.string(),
    status: p.string(),
    mergedInto: p.uuid().nullable().fieldName('merged_into'),
    path: p.string().columnType('ltree'),
    depth: p.integer().persist(false),
    createdAt: p.datetime().fieldName('created_at'),
  },
});
export type OrgUnit = InferEntity<typeof OrgUnit>;

/**
 * A unit as the read paths hand it to resolvers: plain data, which the running service may keep
 * between requests (an entity belongs to its request's EntityManager).
 */
export type OrgUnitRow = Pick<OrgUnit, 'id' | 'tenantId' | 'parentId' | 'kind' | 'form' | 'name' | 'status' | 'mergedInto' | 'path' | 'depth' | 'createdAt'>;
export const orgUnitRow = (u: OrgUnitRow): OrgUnitRow => ({
  id: u.id, tenantId: u.tenantId, parentId: u.parentId, kind: u.kind, form: u.form, name: u.name, status: u.status,
  mergedInto: u.mergedInto, path: u.path, depth: u.depth, createdAt: u.createdAt,
});

export const StationedUnit = defineEntity({
  name: 'StationedUnit',
  tableName: 'organisation.stationed_unit',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    name: p.string(),
    category: p.string(),
    locatedIn: p.uuid().fieldName('located_in'),
    createdAt: p.datetime().fieldName('created_at'),
  },
});
export type StationedUnit = InferEntity<typeof StationedUnit>;

export const CoBuildingAgreement = defineEntity({
  name: 'CoBuildingAgreement',
  tableName: 'organisation.co_building_agreement',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    stationedUnitId: p.uuid().fieldName('stationed_unit_id'),
    partnerId: p.uuid().fieldName('partner_id'),
    signedOn: p.string().columnType('date').fieldName('signed_on'),
    validUntil: p.string().columnType('date').nullable().fieldName('valid_until'),
    pledges: p.array(),
  },
});
export type CoBuildingAgreement = InferEntity<typeof CoBuildingAgreement>;

export const BigCommittee = defineEntity({
  name: 'BigCommittee',
  tableName: 'organisation.big_committee',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    hostId: p.uuid().fieldName('host_id'),
    name: p.string(),
    createdAt: p.datetime().fieldName('created_at'),
  },
});
export type BigCommittee = InferEntity<typeof BigCommittee>;

export const PartTimeMember = defineEntity({
  name: 'PartTimeMember',
  tableName: 'organisation.part_time_member',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    committeeId: p.uuid().fieldName('committee_id'),
    personName: p.string().fieldName('person_name'),
    stationedUnitId: p.uuid().fieldName('stationed_unit_id'),
    position: p.string(),
    status: p.string(),
    appointedOn: p.string().columnType('date').nullable().fieldName('appointed_on'),
    exitedOn: p.string().columnType('date').nullable().fieldName('exited_on'),
  },
});
export type PartTimeMember = InferEntity<typeof PartTimeMember>;

export const entities = [Tenant, UnitKind, OrgUnit, StationedUnit, CoBuildingAgreement, BigCommittee, PartTimeMember];
