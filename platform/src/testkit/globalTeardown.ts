import pg from 'pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TRELLIS_TEST_ADMIN_URL;
  if (adminUrl && !globalThis.__trellisPg) {
    // A shared server (DATABASE_URL): remove what this run created.
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const dbs = await admin.query(`select datname from pg_database where datname like 'trellis_t%' and datname like $1`, [`%_${process.env.TRELLIS_TEST_TEMPLATE?.split('_').pop()}%`]);
    for (const { datname } of dbs.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.__trellisPg?.stop();
}
