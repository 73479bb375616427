import { onPostgres, useApi } from '../support';
import { canStartCluster, migrateTemplate, startCluster, type Cluster } from '../support/cluster';
import { writeThroughFault } from '../support/faults';

/**
 * A PostgreSQL 15 server of our own (initdb into a temporary folder, a free port), crashed and
 * restarted while clients write. PostgreSQL only: the pass on PGlite has no server to restart, and
 * the machine's shared server, which other test files use, is never stopped.
 */
const suite = onPostgres && canStartCluster ? describe : describe.skip;
jest.setTimeout(10 * 60_000);

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

  describe('on a private cluster', () => {
    const api = useApi();

    it('loses no acknowledged write, retries with the same Idempotency-Key make no duplicate, and it recovers without a restart', async () => {
      const started = Date.now();
      const report = await writeThroughFault(api, () => (cluster as Cluster).crashRestart(1500));
      process.stdout.write(
        `faults (restart): ${JSON.stringify(report)} in ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
      expect(report).toMatchObject({ lost: 0, duplicates: 0 });
      expect(report.acknowledged).toBeGreaterThan(10);
      expect(report.acknowledgedAfterRestart).toBeGreaterThan(0);
      // While the server was away the API answered 503 (retry), never a bare 500.
      expect(Object.keys(report.outage).filter((k) => k.startsWith('5') && !k.startsWith('503'))).toEqual([]);
      expect((await api.request('GET', '/health')).status).toBe(200);
    });
  });
});
