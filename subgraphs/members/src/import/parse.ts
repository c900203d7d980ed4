import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

/** A ledger file as a header row and data rows of trimmed text cells. */
export interface Sheet { headers: string[]; rows: string[][] }

const cellText = (v: unknown): string => {
  if (v == null) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (o.richText) return o.richText.map((r) => r.text).join('').trim();
    if (o.text != null) return String(o.text).trim();
    if (o.result != null) return cellText(o.result);
    return '';
  }
  return String(v).trim();
};

/** CSV text (a UTF-8 byte-order mark is ignored); blank lines are skipped. */
export function parseCsv(text: string): Sheet {
  const records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  const [headers = [], ...rows] = records;
  return { headers: headers.map((h) => h.trim()), rows };
}

/** The first worksheet of an XLSX workbook; ID numbers typed as numbers lose nothing (they are read as text). */
export async function parseXlsx(data: Buffer): Promise<Sheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  if (!ws) return { headers: [], rows: [] };
  const all: string[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const values = row.values as unknown[];
    all.push(values.slice(1).map(cellText));
  });
  const [headers = [], ...rows] = all;
  return { headers, rows: rows.filter((r) => r.some((c) => c !== '')) };
}
