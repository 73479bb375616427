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
import { fuzzSuite, runsPerRoute } from '../support/fuzz';
import { walkMatrix } from '../support/matrix';

/**
 * The authorization matrix and the fuzz suite again, through pgbouncer in transaction mode (the
 * local stand-in for RDS Proxy) in front of a private PostgreSQL 15 cluster, with fewer server
 * connections than the API has clients: consecutive transactions of one client land on different
 * server connections, so an answer that depended on session state (a setting, a prepared
 * statement, a temporary table left by an earlier request) would differ or fail here.
 * PostgreSQL only, like the other fault suites; FUZZ_PGBOUNCER_RUNS requests per route (30: the
 * 300 of test/api/fuzz.test.ts run directly; this pass is about session state, not input).
 */
const suite = onPostgres && canStartCluster && pgbouncerPath ? describe : describe.skip;

suite('through pgbouncer in transaction mode', () => {
  let cluster: Cluster | undefined;
  let bouncer: Bouncer | undefined;
  let shared: string | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
    await migrateTemplate(cluster.url);
    bouncer = await startPgbouncer(cluster);
    shared = process.env.DATABASE_URL;
    process.env.DATABASE_URL = bouncer.url;
  }, 5 * 60_000);
  afterAll(async () => {
    process.env.DATABASE_URL = shared;
    await bouncer?.stop();
    await cluster?.stop();
  });

  // A block of its own: its database is dropped (through pgbouncer) before pgbouncer stops.
  describe('the suites', () => {
    const api = useApi({ inProcess: true, poolMax: 6 });
    walkMatrix(api, 'authorization matrix through pgbouncer');
    fuzzSuite(api, Number(process.env.FUZZ_PGBOUNCER_RUNS ?? runsPerRoute(30)), 'fuzz through pgbouncer');
  });
});
