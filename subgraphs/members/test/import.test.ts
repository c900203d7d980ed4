import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { codes, gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '@trellis/infra/testing.ts';
import { importMembersFile } from '../src/import/importMembers.ts';
import { NOW, TODAY, idCard } from './helpers.ts';

let t: TestStack;
let city: string;
const SAMPLE = readFileSync(new URL('./fixtures/members-ledger.csv', import.meta.url), 'utf8');
const HEADER = '姓名,性别,出生日期,民族,学历,公民身份号码,入党日期,党员状态,党员类别,所在党组织,联系电话';
const REPORT = 'rows imported rejected committed problems { row field column message }';

interface Report { rows: number; imported: number; rejected: number; committed: boolean; problems: { row: number; field: string; column: string | null; message: string }[] }
const importFile = async (input: Record<string, unknown>, token = city) => gql<{ importMembers: Report }>(t.url, token, `mutation($i: ImportMembersInput!) { importMembers(input: $i) { ${REPORT} } }`, { i: input });
const count = async () => (await t.db.query<{ n: number }>('select count(*)::int n from members.member where tenant_id = $1', [t.tenants.huangshi!.id])).rows[0]!.n;

beforeAll(async () => {
  t = await startTestStack({ clock: () => NOW });
  city = await t.token('huangshi', 'CITY_ADMIN');
});
afterAll(() => t.close());

const row = (name: string, birth: string, n: number, over: Partial<Record<'gender' | 'edu' | 'joined' | 'stage' | 'cats' | 'unit' | 'id', string>> = {}) =>
  [name, over.gender ?? (n % 2 ? '男' : '女'), birth, '汉族', over.edu ?? '本科', over.id ?? idCard(birth, n), over.joined ?? '2015-07-01', over.stage ?? '正式党员',
    over.cats ?? '在职党员', over.unit ?? '黄石港街道青山湖社区党委/第一网格党支部', '13900001111'].join(',');

describe('bulk import of members from a department ledger', () => {
  it('imports the sample ledger (Chinese headers, organisation paths by name) and its statistics follow', async () => {
    const before = await count();
    const r = await importFile({ format: 'CSV', content: SAMPLE, mode: 'ALL_OR_NOTHING' });
    expect(r.errors).toBeUndefined();
    expect(r.data!.importMembers).toMatchObject({ rows: 24, imported: 24, rejected: 0, committed: true, problems: [] });
    expect(await count()).toBe(before + 24);
    const { rows } = await t.db.query<{ name: string; stage: string; categories: string[]; unit: string }>(
      `select m.name, m.stage, m.categories, u.name as unit from members.member m join members.unit_path u on u.unit_id = m.org_unit_id where m.name = '杨丽华' and exists (select 1 from members.recruitment_step s where s.member_id = m.id and s.note = 'imported')`);
    expect(rows[0]).toEqual({ name: '杨丽华', stage: 'FULL', categories: ['FLOATING_IN', 'LAID_OFF'], unit: '金港社区党总支' });
    const again = await importFile({ format: 'CSV', content: SAMPLE, mode: 'VALID_ROWS' });
    expect(again.data!.importMembers).toMatchObject({ imported: 0, rejected: 24, committed: false });
    expect(again.data!.importMembers.problems[0]).toMatchObject({ row: 2, field: 'idCardNumber', column: '公民身份号码' });
  });

  it('names each bad row and field; ALL_OR_NOTHING imports nothing, VALID_ROWS imports the valid rows', async () => {
    const csv = [HEADER,
      row('王好', '1980-01-01', 11),
      row('错号', '1980-01-02', 13, { id: '420202198001020139' }),
      row('错性别', '1980-01-03', 15, { gender: '女' }),
      row('错学历', '1980-01-04', 17, { edu: '幼儿园' }),
      row('无组织', '1980-01-05', 19, { unit: '不存在的支部' }),
      row('预备无日期', '1980-01-06', 21, { stage: '预备党员', joined: '' }),
      row('重复', '1980-01-01', 11),
      row('李好', '1981-01-01', 23, { stage: '入党申请人', joined: '', cats: '' }),
    ].join('\n');
    const before = await count();
    const all = await importFile({ format: 'CSV', content: csv, mode: 'ALL_OR_NOTHING' });
    expect(all.errors).toBeUndefined();
    expect(all.data!.importMembers).toMatchObject({ rows: 8, imported: 0, rejected: 6, committed: false });
    expect(all.data!.importMembers.problems.map((p) => [p.row, p.field])).toEqual([
      [3, 'idCardNumber'], [4, 'gender'], [5, 'education'], [6, 'orgUnit'], [7, 'joinedOn'], [8, 'idCardNumber'],
    ]);
    expect(all.data!.importMembers.problems[3]!.column).toBe('所在党组织');
    expect(await count()).toBe(before);
    const dry = await importFile({ format: 'CSV', content: csv, mode: 'VALID_ROWS', dryRun: true });
    expect(dry.data!.importMembers).toMatchObject({ imported: 0, committed: false });
    expect(await count()).toBe(before);
    const valid = await importFile({ format: 'CSV', content: Buffer.from(csv).toString('base64'), base64: true, mode: 'VALID_ROWS' });
    expect(valid.data!.importMembers).toMatchObject({ imported: 2, rejected: 6, committed: true });
    expect(await count()).toBe(before + 2);
  });

  it('reads XLSX workbooks (dates and ID numbers as cells) the same way', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('党员');
    ws.addRow(HEADER.split(','));
    ws.addRow(['张表格', '男', new Date('1970-05-05T00:00:00Z'), '回族', '大专', idCard('1970-05-05', 31), new Date('1995-07-01T00:00:00Z'), '正式党员', '离退休党员、生活困难党员', '红旗桥街道林红社区党支部', '13900002222']);
    ws.addRow(['坏日期', '女', '1970-13-05', '汉族', '大专', idCard('1970-05-06', 32), '1995-07-01', '正式党员', '', '红旗桥街道林红社区党支部', '']);
    const content = Buffer.from(await wb.xlsx.writeBuffer()).toString('base64');
    const r = await importFile({ format: 'XLSX', content, mode: 'VALID_ROWS' });
    expect(r.errors).toBeUndefined();
    expect(r.data!.importMembers).toMatchObject({ rows: 2, imported: 1, rejected: 1, committed: true });
    expect(r.data!.importMembers.problems).toEqual([expect.objectContaining({ row: 3, field: 'birthDate', column: '出生日期' })]);
    const { rows } = await t.db.query<{ ethnicity: string; categories: string[]; joined_on: string }>("select ethnicity, categories, joined_on::text from members.member where name = '张表格'");
    expect(rows[0]).toEqual({ ethnicity: '回族', categories: ['RETIRED', 'HARDSHIP'], joined_on: '1995-07-01' });
  });

  it('a street administrator can import only into its street', async () => {
    const street = await t.token('huangshi', 'STREET_ADMIN', { scope: '中共黄石市委/黄石港区/红旗桥街道' });
    const csv = [HEADER, row('街道内', '1982-02-02', 41, { unit: '红旗桥街道林红社区党支部' }), row('街道外', '1982-02-03', 43)].join('\n');
    const r = await importFile({ format: 'CSV', content: csv, mode: 'VALID_ROWS' }, street);
    expect(r.data!.importMembers).toMatchObject({ imported: 1, rejected: 1 });
    expect(r.data!.importMembers.problems[0]).toMatchObject({ row: 3, field: 'orgUnit' });
    expect(codes(await importFile({ format: 'CSV', content: csv, mode: 'VALID_ROWS' }, await t.token('huangshi', 'MEMBER', { scope: '中共黄石市委' })))).toEqual(['FORBIDDEN']);
  });

  it('the script function COPYs thousands of rows in one transaction, and statistics stay exact', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 5000; i++) {
      const birth = `19${50 + (i % 50)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
      lines.push(row(`批量${i}`, birth, 100 + Math.floor(i / 600) * 2 + (i % 2), { unit: i % 2 ? '红旗桥街道林红社区党支部' : '黄石港街道青山湖社区党委/第二网格党支部' }));
    }
    const client = new pg.Client({ connectionString: t.db.adminUrl });
    await client.connect();
    try {
      const before = await count();
      const r = await importMembersFile(client, { tenantId: t.tenants.huangshi!.id, format: 'CSV', content: lines.join('\n'), mode: 'ALL_OR_NOTHING', today: TODAY, recordedBy: 'script' });
      expect(r).toMatchObject({ rows: 5000, imported: 5000, committed: true, problems: [] });
      expect(await count()).toBe(before + 5000);
    } finally {
      await client.end();
    }
    const root = t.unit('huangshi', '中共黄石市委');
    const api = await gql<{ orgUnit: { memberStatistics: { total: number } } }>(t.url, city, 'query($id: ID!) { orgUnit(id: $id) { memberStatistics { total } } }', { id: root });
    const { rows } = await t.db.query<{ n: number }>("select count(*)::int n from members.member where tenant_id = $1 and stage in ('PROBATIONARY', 'FULL')", [t.tenants.huangshi!.id]);
    expect(api.data!.orgUnit.memberStatistics.total).toBe(rows[0]!.n);
  });
});

describe('paths of bulk-inserted members', () => {
  it('a unit that still has members cannot leave the copy of the tree', async () => {
    const { rows } = await t.db.query<{ unit: string }>('select org_unit_id::text as unit from members.member where tenant_id = $1 limit 1', [t.tenants.huangshi!.id]);
    await expect(t.db.query('delete from members.unit_path where unit_id = $1', [rows[0]!.unit])).rejects.toThrow(/still has members/);
  });

  it('a statement that brings wrong paths is refused as a whole; one without paths gets them from the units', async () => {
    const street = t.unit('huangshi', '中共黄石市委/黄石港区/黄石港街道');
    const district = t.unit('huangshi', '中共黄石市委/黄石港区');
    const client = new pg.Client({ connectionString: t.db.appUrl('members') });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('app.tenant_id', $1, true)`, [t.tenants.huangshi!.id]);
      const insert = (path: string) => client.query(
        `insert into members.member (id, org_unit_id, name, gender, birth_date, ethnicity, education, id_card_cipher, id_card_masked, id_card_hash, stage, org_path)
         select gen_random_uuid(), u, '路径' || n, 'MALE', '1980-01-01', '汉族', 'BACHELOR', 'c', 'm', 'path-test-' || n, 'APPLICANT', ${path}
           from unnest(array[$1::uuid, $2::uuid]) with ordinality as x(u, n)`, [street, district]);
      await client.query('savepoint s');
      // The district's path given to both rows: the street's row is wrong.
      await expect(insert(`(select path from members.unit_path where unit_id = '${district}')`)).rejects.toThrow(/not the path of its organisation unit/);
      await client.query('rollback to savepoint s');
      await insert(`''`);
      const { rows } = await client.query<{ right: boolean }>(
        `select bool_and(m.org_path = u.path) as right from members.member m join members.unit_path u on u.unit_id = m.org_unit_id where m.name like '路径%'`);
      expect(rows[0]!.right).toBe(true);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });
});
