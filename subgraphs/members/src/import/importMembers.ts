import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { blindIndex, encrypt, maskIdCard } from '../domain/personalData.ts';
import { parseCsv, parseXlsx, type Sheet } from './parse.ts';
import { mapHeaders, unitResolver, validateRow, type ImportRow, type Problem, type UnitName } from './validate.ts';

export type ImportFormat = 'CSV' | 'XLSX';
export type ImportMode = 'VALID_ROWS' | 'ALL_OR_NOTHING';
export interface ImportReport { rows: number; imported: number; rejected: number; committed: boolean; problems: Problem[] }

/** Reads the file: CSV as text (or base64), XLSX always base64 or bytes. */
export async function readSheet(format: ImportFormat, content: string | Buffer, base64 = false): Promise<Sheet> {
  if (format === 'XLSX') return parseXlsx(typeof content === 'string' ? Buffer.from(content, 'base64') : content);
  const text = typeof content === 'string' ? (base64 ? Buffer.from(content, 'base64').toString('utf8') : content) : content.toString('utf8');
  return parseCsv(text);
}

/** Validates every row; duplicates within the file and against `known` ID-card hashes are problems too. */
export function checkSheet(sheet: Sheet, units: UnitName[], tenantId: string, today: string, known: (hashes: string[]) => Set<string>): { rows: (ImportRow & { hash: string })[]; problems: Problem[] } {
  const { index, problems } = mapHeaders(sheet.headers);
  if (problems.length) return { rows: [], problems };
  const resolve = unitResolver(units);
  const rows: (ImportRow & { hash: string })[] = [];
  const firstRow = new Map<string, number>();
  sheet.rows.forEach((cells, i) => {
    const r = validateRow(cells, i + 2, sheet.headers, index, today, resolve);
    problems.push(...r.problems);
    if (!r.row) return;
    const hash = blindIndex(tenantId, r.row.idCard);
    const seen = firstRow.get(hash);
    if (seen !== undefined) {
      problems.push({ row: i + 2, field: 'idCardNumber', column: sheet.headers[index.idCardNumber!] ?? null, message: `The same ID card number is on row ${seen}.` });
      return;
    }
    firstRow.set(hash, i + 2);
    rows.push({ ...r.row, hash });
  });
  const dup = known(rows.map((r) => r.hash));
  const fresh = rows.filter((r) => {
    if (!dup.has(r.hash)) return true;
    problems.push({ row: r.row, field: 'idCardNumber', column: sheet.headers[index.idCardNumber!] ?? null, message: 'A member with this ID card number is already registered.' });
    return false;
  });
  problems.sort((a, b) => a.row - b.row);
  return { rows: fresh, problems };
}

/** Staging table columns, in COPY order. */
const STAGING_COLUMNS = ['id', 'org_unit_id', 'name', 'gender', 'birth_date', 'ethnicity', 'education', 'phone', 'id_card_cipher', 'id_card_masked', 'id_card_hash', 'stage', 'joined_on', 'categories'] as const;
export const STAGING_DDL = `create temp table member_import (id uuid, org_unit_id uuid, name text, gender text, birth_date date, ethnicity text, education text, phone text,
  id_card_cipher text, id_card_masked text, id_card_hash text, stage text, joined_on date, categories text[]) on commit drop`;

/**
 * One INSERT … SELECT into the member table (its policies and triggers apply), then the first
 * recruitment step. The paths come from one join (checked once for the statement); a unit the
 * join misses leaves '' for the row trigger, which names it.
 */
export const INSERT_FROM_STAGING = [
  `insert into members.member (id, tenant_id, org_unit_id, name, gender, birth_date, ethnicity, education, phone, id_card_cipher, id_card_masked, id_card_hash,
     stage, joined_on, categories, org_path)
   select i.id, platform.current_tenant(), i.org_unit_id, i.name, i.gender, i.birth_date, i.ethnicity, i.education, i.phone, i.id_card_cipher, i.id_card_masked,
     i.id_card_hash, i.stage, i.joined_on, i.categories, coalesce(u.path, '') from member_import i
     left join members.unit_path u on u.tenant_id = platform.current_tenant() and u.unit_id = i.org_unit_id`,
  `insert into members.recruitment_step (tenant_id, member_id, from_stage, to_stage, effective_on, note, recorded_by)
   select platform.current_tenant(), id, null, stage, coalesce(joined_on, $1::date), 'imported', $2 from member_import`,
];

/** Values of the staging row (personal data encrypted here: the key never reaches the database). */
export function stagingValues(r: ImportRow & { hash: string }, tenantId: string): (string | null)[] {
  const id = randomUUID();
  return [id, r.unitLabel, r.name, r.gender, r.birthDate, r.ethnicity, r.education, r.phone, encrypt(r.idCard, `${tenantId}:${id}`), maskIdCard(r.idCard), r.hash, r.stage, r.joinedOn, `{${r.categories.join(',')}}`];
}

const copyText = (v: string | null) => (v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));

export const decide = (mode: ImportMode, dryRun: boolean, rows: number, problems: Problem[]) =>
  !dryRun && rows > 0 && (mode === 'VALID_ROWS' || problems.length === 0);

export const report = (total: number, imported: number, problems: Problem[], committed: boolean): ImportReport =>
  ({ rows: total, imported: committed ? imported : 0, rejected: new Set(problems.filter((p) => p.row > 1).map((p) => p.row)).size, committed, problems });

/**
 * Script-friendly bulk import over a `pg` connection (no transaction open): validates every
 * row, then COPYs the valid rows into a temporary staging table and moves them into the member
 * table with one INSERT … SELECT, all in one transaction under the tenant (and optional scope).
 */
export async function importMembersFile(client: pg.Client, opts: {
  tenantId: string; format: ImportFormat; content: string | Buffer; base64?: boolean; mode: ImportMode; dryRun?: boolean;
  today: string; recordedBy: string; scopeLabel?: string;
}): Promise<ImportReport> {
  const sheet = await readSheet(opts.format, opts.content, opts.base64);
  await client.query('begin');
  try {
    await client.query(`select set_config('app.tenant_id', $1, true), set_config('app.scope_unit', $2, true)`, [opts.tenantId, opts.scopeLabel ?? '']);
    const units = (await client.query<UnitName>('select unit_id::text, parent_id::text, name, platform.in_scope(path) as in_scope from members.unit_path where tenant_id = $1', [opts.tenantId])).rows;
    const hashes = (await client.query<{ h: string }>('select id_card_hash as h from members.member where tenant_id = $1', [opts.tenantId])).rows;
    const known = new Set(hashes.map((r) => r.h));
    const { rows, problems } = checkSheet(sheet, units, opts.tenantId, opts.today, (hs) => new Set(hs.filter((h) => known.has(h))));
    const commit = decide(opts.mode, opts.dryRun ?? false, rows.length, problems);
    if (commit) {
      await client.query(STAGING_DDL);
      const lines = rows.map((r) => `${stagingValues(r, opts.tenantId).map(copyText).join('\t')}\n`);
      await pipeline(Readable.from(lines), client.query(copyStreams.from(`copy member_import (${STAGING_COLUMNS.join(', ')}) from stdin`)));
      await client.query(INSERT_FROM_STAGING[0]!);
      await client.query(INSERT_FROM_STAGING[1]!, [opts.today, opts.recordedBy]);
      await client.query('commit');
    } else {
      await client.query('rollback');
    }
    return report(sheet.rows.length, rows.length, problems, commit);
  } catch (e) {
    await client.query('rollback');
    throw e;
  }
}

export { STAGING_COLUMNS };
