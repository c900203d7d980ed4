/** Helpers for raw SQL through the ORM's `execute`. */

/**
 * A PostgreSQL array literal for raw SQL parameters (`?::uuid[]`, `?::text[]`): the ORM's
 * `execute` binds a JS array as a value list, not as one array value.
 */
export function sqlArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** True for a canonical UUID. Ids that are not UUIDs can never match a row, so callers skip the query. */
export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
