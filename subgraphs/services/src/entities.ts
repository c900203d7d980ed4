import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The order table as an entity (identity fields only). Reads and writes go through raw SQL in
 * loaders.ts and resolvers/ because they need ltree, arrays and conditional state changes; DDL,
 * policies and triggers live in migrations/.
 */
export const ServiceOrder = defineEntity({
  name: 'ServiceOrder',
  tableName: 'services.service_order',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().fieldName('tenant_id'),
    unitId: p.uuid().fieldName('unit_id'),
    title: p.string(),
  },
});
export type ServiceOrder = InferEntity<typeof ServiceOrder>;

export const entities = [ServiceOrder];
