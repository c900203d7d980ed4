import { CompiledQuery } from 'kysely';
import { badInput, conflict, requestStats, requireScope, sqlCounter } from '@trellis/platform';
import { afterWrite, type Context } from '../context.ts';
import { localDate } from '../domain/age.ts';
import { INSERT_FROM_STAGING, STAGING_COLUMNS, STAGING_DDL, checkSheet, decide, readSheet, report, stagingValues, type ImportFormat, type ImportMode } from '../import/importMembers.ts';
import type { UnitName } from '../import/validate.ts';

interface ImportInput { format: ImportFormat; content: string; base64?: boolean | null; mode: ImportMode; dryRun?: boolean | null }

/**
 * The largest file one request imports, in bytes; larger files go through the script
 * (importMembersFile). The gateway admits request bodies up to 25,000,000 bytes (GraphQL Yoga's
 * default, which Hive Gateway does not expose), and the file travels JSON-escaped inside the
 * request: a little below that. A CSV ledger of 100,000 members is about 17 MB.
 */
export const MAX_IMPORT_BYTES = 24_000_000;

/**
 * Runs one statement in the request's transaction with its values bound as parameters. The
 * ORM's `execute` writes values into the SQL text, escaping them character by character: for a
 * file of 100,000 members, some 30 MB taking longer than the statement itself. Counted like the
 * ORM's statements.
 */
function executeBound<R>(ctx: Context, sql: string, params: unknown[]) {
  sqlCounter.total++;
  const stats = requestStats.getStore();
  if (stats) stats.sql++;
  return ctx.em.getKysely().executeQuery<R>(CompiledQuery.raw(sql, params));
}

const isUniqueViolation = (e: unknown) => {
  for (let cur = e as { code?: string; cause?: unknown } | undefined, i = 0; cur && i < 5; cur = cur.cause as typeof cur, i++) if (cur.code === '23505') return true;
  return false;
};

export const importMutationResolvers = {
  async importMembers(_: unknown, { input }: { input: ImportInput }, ctx: Context) {
    requireScope(ctx.principal, 'members:write');
    if (Buffer.byteLength(input.content) > MAX_IMPORT_BYTES) throw badInput('The file is larger than 24 MB; split it or use the import script.', 'input.content');
    let sheet;
    try {
      sheet = await readSheet(input.format, input.content, input.base64 ?? false);
    } catch (e) {
      throw badInput(`The file cannot be read as ${input.format}: ${(e as Error).message}`, 'input.content');
    }
    const tenantId = ctx.principal.tenantId;
    const today = localDate(ctx.now());
    const units = await ctx.em.execute<UnitName[]>('select unit_id::text, parent_id::text, name, platform.in_scope(path) as in_scope from members.unit_path');
    const checked = checkSheet(sheet, units, tenantId, today, () => new Set());
    // Duplicates already registered (one statement for the whole file).
    const known = new Set((await executeBound<{ h: string }>(ctx,
      // A join, not `= any(…)`: the planner hashes the file's numbers instead of probing the index 100,000 times.
      'select m.id_card_hash as h from members.member m join unnest($1::text[]) as f(h) on m.id_card_hash = f.h',
      [checked.rows.map((r) => r.hash)])).rows.map((r) => r.h));
    const { rows, problems } = known.size ? checkSheet(sheet, units, tenantId, today, (hs) => new Set(hs.filter((h) => known.has(h)))) : checked;
    const commit = decide(input.mode, input.dryRun ?? false, rows.length, problems);
    if (commit) {
      await ctx.em.execute(STAGING_DDL);
      const values = rows.map((r) => stagingValues(r, tenantId));
      // One statement fills the staging table from one array per column.
      await executeBound(ctx,
        `insert into member_import (${STAGING_COLUMNS.join(', ')})
         select id::uuid, org_unit_id::uuid, name, gender, birth_date::date, ethnicity, education, phone, id_card_cipher, id_card_masked, id_card_hash,
                stage, joined_on::date, categories::text[]
           from unnest(${STAGING_COLUMNS.map((_c, i) => `$${i + 1}::text[]`).join(', ')}) as s(${STAGING_COLUMNS.join(', ')})`,
        STAGING_COLUMNS.map((_c, i) => values.map((v) => v[i] ?? null)),
      );
      try {
        await ctx.em.execute(INSERT_FROM_STAGING[0]!);
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict('Some ID card numbers are already registered in this tenant outside what you may see; nothing was imported.');
        throw e;
      }
      await ctx.em.execute(INSERT_FROM_STAGING[1]!.replace('$1', '?').replace('$2', '?'), [today, ctx.principal.sub]);
      afterWrite(ctx);
    }
    return report(sheet.rows.length, rows.length, problems, commit);
  },
};
