// Bulk loading for seeds and imports: COPY … FROM STDIN into a temporary staging table, then one
// INSERT … SELECT per target (COPY cannot write into a table under forced row-level security for
// a role subject to it). The bulk generator, a superuser, copies straight into its tables.
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null | undefined | readonly string[];

/** One field in COPY's text format: \N for null, arrays as literals, specials escaped. */
export function copyField(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return escape(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return escape(`{${v.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
}
const escape = (s: string) => (/[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s);

/**
 * Streams `rows` into `table` (usually a TEMP staging table) with COPY FROM STDIN, in chunks of
 * about 1 MB, waiting for the socket to drain so a million rows never sit in memory as text.
 * `progress` is called with the number of rows written since its last call. Returns the row count.
 */
export async function copyRows(
  client: pg.Client, table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>, progress?: (rows: number) => void,
): Promise<number> {
  return copyLines(client, table, columns, (function* () { for (const row of rows) yield `${row.map(copyField).join('\t')}\n`; })(), progress);
}

/**
 * As copyRows, for rows already written in COPY's text format (one line each, newline included):
 * bulk generators whose values need no escaping (ids, numbers, dates, fixed words) write
 * millions of rows this way without a per-field call.
 */
export async function copyLines(
  client: pg.Client, table: string, columns: readonly string[], lines: Iterable<string>, progress?: (rows: number) => void,
): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  let failed: ((e: Error) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => { stream.on('finish', resolve); stream.on('error', (e) => { failed?.(e); reject(e); }); });
  let chunk = '';
  let count = 0;
  let pending = 0;
  const flush = async () => {
    if (!chunk.length) return;
    const ok = stream.write(chunk);
    chunk = '';
    progress?.(pending);
    pending = 0;
    // One error listener for the whole copy (not one per wait): it fails the wait in progress.
    if (!ok) await new Promise<void>((resolve, reject) => { failed = reject; stream.once('drain', resolve); }).finally(() => { failed = undefined; });
  };
  try {
    for (const line of lines) {
      chunk += line;
      count++;
      pending++;
      if (chunk.length > 1_000_000) await flush();
    }
    await flush();
  } catch (e) {
    stream.destroy(e as Error);
    await done.catch(() => {});
    throw e;
  }
  stream.end();
  await done;
  return count;
}
