// The `import` scenario: how fast a department's member ledger goes in. It builds a CSV ledger of
// N realistic members (default 100,000) for units of the profile's main tenant, with the headers
// departments keep, sends it through the gateway's importMembers mutation (VALID_ROWS) as the
// tenant's city administrator, and reports rows, seconds and rows per second. The imported
// members are removed again afterwards (through the same triggers), so a run can be repeated on
// the same seeded profile and measures the same thing.
import { execSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signUserToken } from '@trellis/platform';
import { mulberry32, pick, weighted, type Rand } from '@trellis/platform/seed/prng.ts';
import { DAY, ETHNICITY, RESIDENTIAL, drawPerson, ymd } from '@trellis/members/seedPeople.ts';
import type { Education, RecruitmentStage } from '@trellis/members/generated/resolvers.ts';
import { profileDatabase } from '@trellis/infra/seed/database.ts';
import { profileByName, type ProfileName } from '@trellis/infra/seed/profiles.ts';
import { idCardCheck } from '@trellis/members/domain/personalData.ts';
import { startPlatform } from './platform.ts';
import { userTokens } from './principals.ts';

export const LEDGER_HEADER = ['姓名', '性别', '出生日期', '民族', '学历', '公民身份号码', '入党日期', '党员状态', '党员类别', '所在党组织', '联系电话'];

/** A unit of the tenant as the ledger names it, and how many members it holds now (where new ones go). */
export interface LedgerUnit { id: string; parentId: string | null; name: string; kind: string; members: number }

/** The ledger writes the registry's codes in departments' words (as the import reads them). */
const STAGE_LABEL: Record<RecruitmentStage, string> = { FULL: '正式党员', PROBATIONARY: '预备党员', DEVELOPMENT_TARGET: '发展对象', ACTIVIST: '入党积极分子', APPLICANT: '入党申请人' };
const EDUCATION_LABEL: Record<Education, string> = {
  PRIMARY: '小学', JUNIOR_SECONDARY: '初中', SENIOR_SECONDARY: '高中', VOCATIONAL: '中专', JUNIOR_COLLEGE: '大专', BACHELOR: '本科', POSTGRADUATE: '研究生',
};
const WORKING: [string, number][] = [['在职党员', 40], ['自管党员', 25], ['流动党员(流入)', 10], ['下岗失业党员', 8], ['两新组织党员', 17]];

/**
 * What a ledger writes for each unit: its name after as many of its ancestors' names as make it
 * unique in the tenant (`某某社区党委/第二网格党支部`), as the import resolves it.
 */
export function ledgerUnitNames(units: LedgerUnit[]): Map<string, string> {
  const byId = new Map(units.map((u) => [u.id, u]));
  const chain = (u: LedgerUnit) => {
    const names: string[] = [];
    for (let c: LedgerUnit | undefined = u; c; c = c.parentId ? byId.get(c.parentId) : undefined) names.unshift(c.name);
    return names;
  };
  const full = new Map(units.map((u) => [u.id, chain(u)]));
  const joined = new Map([...full].map(([id, names]) => [id, names.join('')]));
  const sameName = new Map<string, string[]>();
  for (const u of units) sameName.set(u.name, [...(sameName.get(u.name) ?? []), joined.get(u.id)!]);
  const out = new Map<string, string>();
  for (const u of units) {
    const names = full.get(u.id)!;
    for (let k = Math.min(2, names.length); k <= names.length; k++) {
      const wanted = names.slice(-k).join('');
      if (k === names.length || sameName.get(u.name)!.filter((f) => f.endsWith(wanted)).length === 1) {
        out.set(u.id, names.slice(-k).join('/'));
        break;
      }
    }
  }
  return out;
}

/**
 * A ledger of `rows` members as CSV: units drawn in proportion to the members they hold, ages as
 * in a city's communities (mostly retirees there, working age in workplace branches, the
 * pipeline young), education by generation, valid GB 11643 numbers unique within the file under
 * `region`, and admission dates for Party members only.
 */
export function buildLedger(units: LedgerUnit[], rows: number, opts: { seed: number; today: string; region: string }): string {
  const r: Rand = mulberry32(opts.seed);
  const names = ledgerUnitNames(units);
  const hosts = units.filter((u) => u.members > 0);
  const pool = hosts.length ? hosts : units.filter((u) => !units.some((c) => c.parentId === u.id));
  const cumulative: number[] = [];
  let total = 0;
  for (const u of pool) cumulative.push((total += Math.max(1, u.members)));
  const drawUnit = () => {
    const x = r() * total;
    let lo = 0, hi = cumulative.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid]! > x) hi = mid; else lo = mid + 1; }
    return pool[lo]!;
  };
  const today = Math.floor(Date.parse(`${opts.today}T00:00:00Z`) / DAY);
  const year = Number(opts.today.slice(0, 4));
  const seen = new Set<string>();
  const lines = [LEDGER_HEADER.join(',')];
  for (let i = 0; i < rows; i++) {
    const unit = drawUnit();
    const person = drawPerson(r, year, RESIDENTIAL.has(unit.kind));
    const { party, age, birth, birthText, bornYear, male, name } = person;
    const stage = STAGE_LABEL[person.stage];
    const education = EDUCATION_LABEL[person.education];
    const categories: string[] = [];
    if (party) {
      if (age >= 60) categories.push('离退休党员');
      else categories.push(weighted(r, WORKING));
      if (r() < (age >= 60 ? 0.08 : 0.03)) categories.push('生活困难党员');
      if (bornYear < 1932) categories.push('老党员');
    }
    // Admitted at 18 or later, at least a year ago for full members, within the year for probationary ones.
    let joined = '';
    if (stage === '正式党员') joined = ymd(Math.min(today - 400, birth + 365 * 18 + 5 + Math.floor(r() * Math.max(1, today - 400 - (birth + 365 * 18 + 5)))));
    else if (stage === '预备党员') joined = ymd(today - 1 - Math.floor(r() * 360));
    let number = '';
    do {
      const seq = Math.floor(r() * 500) * 2 + (male ? 1 : 0);
      const first17 = `${opts.region}${birthText.replace(/-/g, '')}${String(seq).padStart(3, '0')}`;
      number = first17 + idCardCheck(first17);
    } while (seen.has(number));
    seen.add(number);
    const phone = `1${pick(r, ['39', '38', '37', '58', '86', '88', '33', '77', '35', '52'])}${String(Math.floor(r() * 1e8)).padStart(8, '0')}`;
    lines.push([name, male ? '男' : '女', birthText, weighted(r, ETHNICITY), education, number, joined, stage, categories.join('、'), names.get(unit.id)!, phone].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export interface ImportRate {
  rows: number;
  bytes: number;
  imported: number;
  rejected: number;
  committed: boolean;
  seconds: number;
  rowsPerSecond: number;
  /** Time to remove the imported members again (the same summaries maintained on the way out). */
  cleanupSeconds: number;
  tenant: string;
  membersBefore: number;
}

const IMPORT = `mutation($i: ImportMembersInput!) { importMembers(input: $i) { rows imported rejected committed problems { row field message } } }`;

/**
 * Runs the import scenario on a profile's database: returns the process exit code. Starts the
 * platform (one process per service), imports, removes the imported members, writes
 * bench/results/<date>-<profile>-import.json.
 */
export async function importScenario(o: { profile: ProfileName; rows: number; databaseUrl?: string; appPassword: string; log: (m: string) => void }): Promise<number> {
  const { log } = o;
  const profile = profileByName(o.profile);
  const db = await profileDatabase(profile.name, o.databaseUrl, log);
  const admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
  try {
    const slug = profile.tenants[0]!.slug;
    const tenant = (await admin.query<{ id: string }>('select id::text from organisation.tenant where slug = $1', [slug])).rows[0];
    if (!tenant) throw new Error(`tenant ${slug} is not in this database; run npm run seed -- --profile ${profile.name} first`);
    // The administrator's connection bypasses row-level security: the whole tree and every unit's members.
    const units = (await admin.query<LedgerUnit>(
      `select u.unit_id::text as id, u.parent_id::text as "parentId", u.name, u.kind, coalesce(m.n, 0)::int as members
         from members.unit_path u left join (select org_unit_id, count(*) as n from members.member where tenant_id = $1 group by 1) m on m.org_unit_id = u.unit_id
        where u.tenant_id = $1 and u.status = 'ACTIVE'`, [tenant.id])).rows;
    const membersBefore = units.reduce((s, u) => s + u.members, 0);
    // Chinese calendar day, as the service dates its checks.
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    // A region code of this run's own: the file never repeats a number a seeded or earlier member has.
    const region = String(110000 + (Date.now() % 89_999)).padStart(6, '0');
    const csv = buildLedger(units, o.rows, { seed: Date.now() % 2 ** 31, today, region });
    const body = JSON.stringify({ query: IMPORT, variables: { i: { format: 'CSV', content: csv, mode: 'VALID_ROWS' } } });
    log(`ledger of ${o.rows.toLocaleString('en')} members for ${slug} (${membersBefore.toLocaleString('en')} members now): ${(Buffer.byteLength(csv) / 1e6).toFixed(1)} MB of CSV, ${(Buffer.byteLength(body) / 1e6).toFixed(1)} MB request`);

    platform = await startPlatform({ adminUrl: db.adminUrl, appPassword: o.appPassword });
    const sub = `bench-import-${Date.now()}`;
    const token = await signUserToken(userTokens, { sub, tenantId: tenant.id, tenantSlug: slug, role: 'CITY_ADMIN', scopes: [] });
    log(`importing through the gateway as ${slug}'s city administrator`);
    const load = loadavg();
    const started = performance.now();
    const res = await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    const answer = await res.json() as { data?: { importMembers: { rows: number; imported: number; rejected: number; committed: boolean; problems: { row: number; field: string; message: string }[] } }; errors?: { message: string; extensions?: { code?: string } }[] };
    const seconds = (performance.now() - started) / 1000;
    if (answer.errors?.length || !answer.data) throw new Error(`importMembers failed (HTTP ${res.status}): ${answer.errors?.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ')}`);
    const report = answer.data.importMembers;
    if (report.problems.length) log(`${report.rejected} rows rejected, e.g. row ${report.problems[0]!.row} ${report.problems[0]!.field}: ${report.problems[0]!.message}`);
    log(`imported ${report.imported.toLocaleString('en')} of ${report.rows.toLocaleString('en')} rows in ${seconds.toFixed(1)} s: ${Math.round(report.imported / seconds).toLocaleString('en')} rows/s`);

    // Out again through the same triggers: the profile is as it was for the next run.
    const cleanupStarted = performance.now();
    await admin.query('begin');
    await admin.query(`create temp table bench_imported on commit drop as
      select member_id from members.recruitment_step where tenant_id = $1 and recorded_by = $2 and note = 'imported'`, [tenant.id, sub]);
    await admin.query('delete from members.recruitment_step s using bench_imported b where s.tenant_id = $1 and s.member_id = b.member_id', [tenant.id]);
    const removed = (await admin.query('delete from members.member m using bench_imported b where m.tenant_id = $1 and m.id = b.member_id', [tenant.id])).rowCount;
    await admin.query('commit');
    const cleanupSeconds = (performance.now() - cleanupStarted) / 1000;
    log(`removed the ${removed?.toLocaleString('en')} imported members again in ${cleanupSeconds.toFixed(1)} s`);

    const result: ImportRate = {
      rows: report.rows, bytes: Buffer.byteLength(body), imported: report.imported, rejected: report.rejected, committed: report.committed,
      seconds: round(seconds), rowsPerSecond: Math.round(report.imported / seconds), cleanupSeconds: round(cleanupSeconds), tenant: slug, membersBefore,
    };
    const date = new Date().toISOString();
    const file = path.join(fileURLToPath(new URL('../results', import.meta.url)), `${date.replace(/[:.]/g, '-')}-${profile.name}-import.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify({
      date, commit: gitCommit(), scenario: 'import', profile: profile.name,
      // The load average when the import started: on a shared machine the figure depends on what else runs.
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: round(totalmem() / 2 ** 30, 1), loadAverage: load.map((x) => round(x)), node: process.version,
        postgres: (await admin.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]!.v,
      },
      import: result,
    }, null, 2)}\n`);
    console.log('');
    console.log('scenario       rows    seconds    rows/s');
    console.log(`import   ${String(result.imported).padStart(10)} ${String(result.seconds).padStart(10)} ${String(result.rowsPerSecond).padStart(9)}`);
    console.log('');
    log(`results written to ${file}`);
    return report.committed && report.imported === o.rows ? 0 : 1;
  } catch (e) {
    console.error(e);
    return 1;
  } finally {
    await platform?.close();
    await admin.end();
    await db.stop();
  }
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function gitCommit(): string {
  try { return execSync('git rev-parse HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; }
}
