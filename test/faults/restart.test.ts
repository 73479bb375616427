import { onPostgres, useApi } from '../support';
import {
  canStartCluster,
  migrateTemplate,
  pgbouncerPath,
  startCluster,
  startPgbouncer,
  type Bouncer,
  type Cluster,
} from '../support/cluster';
import { writeThroughFault, type LoadReport } from '../support/faults';

/**
 * A PostgreSQL 15 server of our own (initdb into a temporary folder, a free port), crashed and
 * restarted while clients write, once reached directly and once through pgbouncer in transaction
 * mode (the local stand-in for RDS Proxy: no session outlives a transaction). PostgreSQL only:
 * the pass on PGlite has no server to restart, and the machine's shared server, which other test
 * files use, is never stopped.
 */
const suite = onPostgres && canStartCluster ? describe : describe.skip;
jest.setTimeout(10 * 60_000);

function expectNothingLost(report: LoadReport) {
  expect(report).toMatchObject({ lost: 0, duplicates: 0 });
  expect(report.acknowledgedBeforeFault).toBeGreaterThan(0);
  expect(report.acknowledgedAfterRestart).toBeGreaterThan(0);
  // While the server was away the API answered 503 (retry), never a bare 500.
  expect(Object.keys(report.outage).filter((k) => k.startsWith('5') && !k.startsWith('503'))).toEqual([]);
}

suite('the API while its database server crashes and restarts under load', () => {
  let cluster: Cluster | undefined;
  let shared: string | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
    await migrateTemplate(cluster.url);
    shared = process.env.DATABASE_URL;
    process.env.DATABASE_URL = cluster.url;
  }, 5 * 60_000);
  afterAll(async () => {
    process.env.DATABASE_URL = shared;
    await cluster?.stop();
  });

  describe('reached directly', () => {
    const api = useApi({ inProcess: true, poolMax: 4 });

    it('loses no acknowledged write, retries with the same Idempotency-Key make no duplicate, and it recovers without a restart', async () => {
      const started = Date.now();
      const report = await writeThroughFault(api, () => (cluster as Cluster).crashRestart(1500));
      process.stdout.write(
        `faults (restart, direct): ${JSON.stringify(report)} in ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
      expectNothingLost(report);
      expect((await api.request('GET', '/health')).status).toBe(200);
    });
  });

  (pgbouncerPath ? describe : describe.skip)('through pgbouncer in transaction mode', () => {
    let bouncer: Bouncer | undefined;
    beforeAll(async () => {
      bouncer = await startPgbouncer(cluster as Cluster);
      process.env.DATABASE_URL = bouncer.url;
    });
    afterAll(async () => {
      process.env.DATABASE_URL = (cluster as Cluster).url;
      await bouncer?.stop();
    });

    // A block of its own: its database is dropped (through pgbouncer) before pgbouncer stops.
    describe('the API', () => {
      const api = useApi({ inProcess: true, poolMax: 4 });

      it('loses no acknowledged write, makes no duplicate, and recovers, the server restarting behind pgbouncer', async () => {
        const started = Date.now();
        const report = await writeThroughFault(api, () => (cluster as Cluster).crashRestart(1500));
        process.stdout.write(
          `faults (restart, through pgbouncer): ${JSON.stringify(report)} in ${Math.round((Date.now() - started) / 1000)} s\n`,
        );
        expectNothingLost(report);
        expect((await api.request('GET', '/health')).status).toBe(200);
      });
    });
  });
});
