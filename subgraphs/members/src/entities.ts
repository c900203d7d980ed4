import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The member table as an entity (identity fields only). Reads and writes go through raw SQL in
 * loaders.ts and resolvers/ because they need ltree, arrays and the encrypted columns; DDL,
 * policies and triggers live in migrations/.
 */
export const Member = defineEntity({
  name: 'Member',
  tableName: 'members.member',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    orgUnitId: p.uuid().fieldName('org_unit_id'),
    name: p.string(),
  },
});
export type Member = InferEntity<typeof Member>;

export const entities = [Member];
