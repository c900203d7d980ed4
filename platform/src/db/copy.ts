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
 * Lets the event loop run once: a generator whose rows the server takes as fast as they come
 * would otherwise keep the thread from every other connection's copy and queries (the bulk
 * generator runs several at a time) until its socket is full.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs one COPY … FROM STDIN: `fill` writes the data through `send` (which waits for the socket
 * to drain, or lets the event loop run, and reports `rows` written since the last call to
 * `progress`). On any error the copy is aborted and the error rethrown; otherwise the copy is
 * ended and its completion awaited.
 */
async function runCopy(client: pg.Client, sql: string, progress: ((rows: number) => void) | undefined,
  fill: (send: (data: string | Buffer, rows: number) => Promise<void>) => Promise<void>): Promise<void> {
  const stream = client.query(copyFrom(sql));
  let failed: ((e: Error) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => { stream.on('finish', resolve); stream.on('error', (e) => { failed?.(e); reject(e); }); });
  const send = async (data: string | Buffer, rows: number) => {
    const ok = stream.write(data);
    progress?.(rows);
    // One error listener for the whole copy (not one per wait): it fails the wait in progress.
    if (!ok) await new Promise<void>((resolve, reject) => { failed = reject; stream.once('drain', resolve); }).finally(() => { failed = undefined; });
    else await turn();
  };
  try {
    await fill(send);
  } catch (e) {
    stream.destroy(e as Error);
    await done.catch(() => {});
    throw e;
  }
  stream.end();
  await done;
}

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
 * Drops a table's indexes before a bulk load and returns what rebuilds them (each by one sort).
 * Unique and primary-key constraints go too unless another table's foreign key needs them.
 */
export async function deferIndexes(client: pg.Client, table: string): Promise<() => Promise<void>> {
  const { rows } = await client.query<{ index: string; def: string; con: string | null; condef: string | null }>(
    `select i.indexrelid::regclass::text as index, pg_get_indexdef(i.indexrelid) as def, c.conname as con, pg_get_constraintdef(c.oid) as condef
       from pg_index i left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
      where i.indrelid = $1::regclass
        and (c.oid is null or (c.contype in ('p', 'u') and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.confrelid = i.indrelid)))`,
    [table]);
  for (const r of rows) await client.query(r.con ? `alter table ${table} drop constraint ${r.con}` : `drop index ${r.index}`);
  return async () => {
    for (const r of rows) await client.query(r.con ? `alter table ${table} add constraint ${r.con} ${r.condef}` : r.def);
  };
}

/**
 * Drops a table's triggers that make COPY slower even when they do not fire (the bulk loads run
 * with session_replication_role = replica): a BEFORE INSERT row trigger makes COPY insert row by
 * row instead of in batches, and an INSERT trigger with a transition table keeps a copy of every
 * row. Returns what creates them again as they were (enabled state included), for the end of
 * the loading transaction.
 */
export async function deferInsertTriggers(client: pg.Client, table: string): Promise<() => Promise<void>> {
  const { rows } = await client.query<{ name: string; def: string; enabled: string }>(
    `select quote_ident(tgname) as name, pg_get_triggerdef(oid) as def, tgenabled as enabled from pg_trigger
      where tgrelid = $1::regclass and not tgisinternal and (tgtype & 4) <> 0 and ((tgtype & 3) = 3 or tgnewtable is not null)`, [table]);
  for (const r of rows) await client.query(`drop trigger ${r.name} on ${table}`);
  const state: Record<string, string> = { D: 'disable trigger', R: 'enable replica trigger', A: 'enable always trigger' };
  return async () => {
    for (const r of rows) {
      await client.query(r.def);
      if (state[r.enabled]) await client.query(`alter table ${table} ${state[r.enabled]} ${r.name}`);
    }
  };
}

/** How a bulk COPY writes its rows. */
export interface CopyOptions {
  /** Rows written frozen: only for a table truncated in this transaction (see truncateIfEmpty). */
  freeze?: boolean;
}

/**
 * Before a bulk load into tables that may hold nothing yet (a fresh database's first tenant):
 * locks them and, when every one is empty, truncates them in this transaction. COPY may then
 * write their rows frozen (`freeze`), so no later reader (ANALYZE first) sets and logs hint bits
 * on every page, and under wal_level = minimal the rows and the indexes built after them go
 * without WAL. Locked first, then counted: rows another transaction committed meanwhile are
 * seen. A table another's foreign key references must come with the referencing tables (and
 * those must be empty too). Returns whether the tables were truncated.
 */
export async function truncateIfEmpty(client: pg.Client, tables: readonly string[]): Promise<boolean> {
  const empty = async () => (await client.query<{ empty: boolean }>(`select ${tables.map((t) => `not exists (select 1 from ${t})`).join(' and ')} as empty`)).rows[0]!.empty;
  // Looked at before locking: a table that holds rows is left to other loads at once.
  if (!(await empty())) return false;
  await client.query(`lock table ${tables.join(', ')} in access exclusive mode`);
  if (!(await empty())) return false;
  await client.query(`truncate ${tables.join(', ')}`);
  return true;
}

/**
 * As copyRows, for rows already written in COPY's text format (one line each, newline included):
 * bulk generators whose values need no escaping (ids, numbers, dates, fixed words) write
 * millions of rows this way without a per-field call.
 */
export async function copyLines(
  client: pg.Client, table: string, columns: readonly string[], lines: Iterable<string>, progress?: (rows: number) => void, options: CopyOptions = {},
): Promise<number> {
  let count = 0;
  await runCopy(client, `COPY ${table} (${columns.join(', ')}) FROM STDIN${options.freeze ? ' (FREEZE)' : ''}`, progress, async (send) => {
    let chunk = '';
    let pending = 0;
    for (const line of lines) {
      chunk += line;
      count++;
      pending++;
      if (chunk.length > 1_000_000) { await send(chunk, pending); chunk = ''; pending = 0; }
    }
    if (chunk.length) await send(chunk, pending);
  });
  return count;
}

/** Days between 1970-01-01 and PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_DAYS = 10_957;

/**
 * Rows in COPY's binary format, written into 1 MB chunks: for the largest loads, where parsing
 * text (uuids, dates, numerics, timestamps) is most of the server's work. Each row starts with
 * `row(fields)`, then one call per field in column order.
 */
export class CopyBinaryWriter {
  private buf = Buffer.allocUnsafe(1 << 21);
  private at = 0;

  get size(): number { return this.at; }

  private room(n: number) {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /**
   * A big-endian int32 at the current offset, by plain byte stores (room already made): the
   * writer's fields are mostly a length word and a few bytes, tens of millions of them.
   */
  private put32(v: number) {
    const buf = this.buf, at = this.at;
    buf[at] = v >>> 24; buf[at + 1] = v >>> 16; buf[at + 2] = v >>> 8; buf[at + 3] = v;
    this.at = at + 4;
  }

  row(fields: number) { this.room(2); this.buf[this.at] = fields >>> 8; this.buf[this.at + 1] = fields; this.at += 2; }
  null() { this.room(4); this.put32(-1); }
  /** A field already in its binary form (a uuid's 16 bytes, a numeric from binaryNumeric, text as UTF-8). */
  bytes(b: Uint8Array) {
    const n = b.length;
    this.room(4 + n);
    this.put32(n);
    // Short fields byte by byte: TypedArray.set costs more than the copy below a few dozen bytes.
    const buf = this.buf, at = this.at;
    if (n <= 48) for (let i = 0; i < n; i++) buf[at + i] = b[i]!;
    else buf.set(b, at);
    this.at = at + n;
  }
  /** Bytes already in COPY's binary format (rows written by another writer). */
  raw(b: Uint8Array) {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /** A uuid from its text form. */
  uuid(id: string) {
    this.room(20);
    this.put32(16);
    this.at = uuidInto(id, this.buf, this.at);
  }
  /** Text (or any type whose binary form is its UTF-8 text, such as ltree after its version byte). */
  text(s: string, prefix?: number) {
    const extra = prefix === undefined ? 0 : 1;
    this.room(4 + extra + 3 * s.length);
    const start = this.at;
    this.at += 4;
    if (prefix !== undefined) this.at = this.buf.writeUInt8(prefix, this.at);
    this.at += this.buf.write(s, this.at, 'utf8');
    this.buf.writeInt32BE(this.at - start - 4, start);
  }
  /** An ltree (binary form: version 1, then the path as text). */
  ltree(path: string) { this.text(path, 1); }
  /** A smallint. */
  int16(v: number) {
    this.room(6);
    this.at = this.buf.writeInt32BE(2, this.at);
    this.at = this.buf.writeInt16BE(v, this.at);
  }
  bool(v: boolean) {
    this.room(5);
    this.at = this.buf.writeInt32BE(1, this.at);
    this.at = this.buf.writeUInt8(v ? 1 : 0, this.at);
  }
  /** An integer (int4). */
  int32(v: number) {
    this.room(8);
    this.put32(4);
    this.put32(v);
  }
  /** A one-dimensional int4[] without nulls. */
  int32Array(values: ArrayLike<number>) {
    this.room(24 + 8 * values.length);
    this.at = this.buf.writeInt32BE(20 + 8 * values.length, this.at);
    // Dimensions, no nulls, element type int4 (oid 23), length, lower bound 1.
    for (const v of [1, 0, 23, values.length, 1]) this.at = this.buf.writeInt32BE(v, this.at);
    for (let i = 0; i < values.length; i++) {
      this.put32(4);
      this.put32(values[i]!);
    }
  }
  /** A bigint (int8), up to 2^53 in magnitude. */
  int64(v: number) {
    this.room(12);
    this.at = this.buf.writeInt32BE(8, this.at);
    const hi = Math.floor(v / 4_294_967_296);
    this.at = this.buf.writeInt32BE(hi, this.at);
    this.at = this.buf.writeUInt32BE(v - hi * 4_294_967_296, this.at);
  }
  /** A date from its day number since 1970-01-01. */
  date(day: number) {
    this.room(8);
    this.put32(4);
    this.put32(day - PG_EPOCH_DAYS);
  }
  /** A timestamptz from microseconds since 1970-01-01 UTC (a whole number). */
  timestamp(micros: number) {
    this.room(12);
    this.put32(8);
    const v = micros - PG_EPOCH_DAYS * 86_400_000_000;
    const hi = Math.floor(v / 4_294_967_296);
    this.put32(hi);
    this.put32(v - hi * 4_294_967_296);
  }

  /** The bytes written so far (a copy), and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

/** Hexadecimal digit (by character code) → its value. */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 16; i++) { NIBBLE['0123456789abcdef'.charCodeAt(i)] = i; NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i; }

/**
 * Writes a uuid's 16 bytes from its canonical text at `at` and returns the offset after them:
 * digit by digit, because a regular expression and a hex decode per id were a tenth of the
 * generator's time when it wrote ten million of them.
 */
function uuidInto(id: string, buf: Buffer, at: number): number {
  if (id.length !== 36) return at + buf.write(id.replace(/-/g, ''), at, 16, 'hex');
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    buf[at++] = (NIBBLE[id.charCodeAt(i)]! << 4) | NIBBLE[id.charCodeAt(i + 1)]!;
  }
  return at;
}

/** A uuid's 16 bytes, for CopyBinaryWriter.bytes. */
export const binaryUuid = (id: string) => { const b = Buffer.allocUnsafe(16); uuidInto(id, b, 0); return b; };

/** A numeric in COPY's binary form from a whole number of hundredths (scale 2), e.g. 3250 → 32.50. */
export function binaryNumeric2(hundredths: number): Buffer {
  const sign = hundredths < 0 ? 0x4000 : 0;
  const abs = Math.abs(hundredths);
  const whole = Math.floor(abs / 100);
  const digits: number[] = [];
  for (let w = whole; w > 0; w = Math.floor(w / 10_000)) digits.unshift(w % 10_000);
  const weight = digits.length - 1;
  digits.push((abs % 100) * 100);
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(2, 6);
  digits.forEach((d, i) => b.writeInt16BE(d, 8 + 2 * i));
  return b;
}

/**
 * Streams rows in COPY's binary format into `table`: each step of `rows` writes one row into
 * `writer`; the writer's bytes are sent about every megabyte. Returns the row count.
 */
export async function copyBinary(
  client: pg.Client, table: string, columns: readonly string[], writer: CopyBinaryWriter, rows: Iterable<unknown>, progress?: (rows: number) => void,
  options: CopyOptions = {},
): Promise<number> {
  let count = 0;
  await runCopy(client, `COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT binary${options.freeze ? ', FREEZE' : ''})`, progress, async (send) => {
    let pending = 0;
    // Signature, flags, header extension length.
    await send(Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]), 0);
    for (const _ of rows) {
      count++;
      pending++;
      if (writer.size > 1_000_000) { await send(writer.take(), pending); pending = 0; }
    }
    writer.row(-1);
    await send(writer.take(), pending);
  });
  return count;
}
