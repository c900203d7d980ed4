import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { gql } from '@trellis/platform/testkit/index.ts';
import { startTestStack, type TestStack } from '../src/testing.ts';

const lines: Record<string, unknown>[] = [];
let t: TestStack;
beforeAll(async () => {
  const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l)); done(); } });
  t = await startTestStack({ log: pino({ level: 'debug' }, sink) });
});
afterAll(() => t.close());

describe('structured logs', () => {
  it("carry the caller's request id from the gateway into every subgraph the plan calls", async () => {
    const token = await t.token('huangshi', 'CITY_ADMIN');
    const r = await gql(t.url, token, '{ myTenant { name } }', undefined, { 'x-request-id': 'trace-7f3a' });
    expect(r.errors).toBeUndefined();
    const mine = lines.filter((l) => l.requestId === 'trace-7f3a');
    expect(mine.find((l) => l.subgraph === 'organisation' && l.msg === 'graphql request')).toMatchObject({ tenant: 'huangshi', status: 200 });
    expect(mine.find((l) => l.component === 'gateway' && l.msg === 'authenticated')).toMatchObject({ tenant: 'huangshi', role: 'CITY_ADMIN' });
  });
});
