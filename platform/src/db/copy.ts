// Bulk loading for seeds and imports: COPY … FROM STDIN into a temporary staging table (COPY
// cannot write into a table under forced row-level security), then one INSERT … SELECT per target.
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
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const done = new Promise<void>((resolve, reject) => { stream.on('finish', resolve); stream.on('error', reject); });
  let chunk: string[] = [];
  let size = 0;
  let count = 0;
  let pending = 0;
  const flush = async () => {
    if (!chunk.length) return;
    const ok = stream.write(chunk.join(''));
    chunk = [];
    size = 0;
    progress?.(pending);
    pending = 0;
    if (!ok) await new Promise<void>((resolve, reject) => { stream.once('drain', resolve); stream.once('error', reject); });
  };
  try {
    for (const row of rows) {
      const line = `${row.map(copyField).join('\t')}\n`;
      chunk.push(line);
      size += line.length;
      count++;
      pending++;
      if (size > 1_000_000) await flush();
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
