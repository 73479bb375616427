import { onPostgres, useApi } from '../support';
import { fuzzBatch, fuzzSuite, runsPerRoute } from '../support/fuzz';

/**
 * Every route of the table, fuzzed from its schemas (test/support/fuzz.ts): wrong types, huge and
 * unicode strings (NUL, lone surrogates), deep nesting, `__proto__` and duplicate keys, wrong
 * content types, bad percent-encoding. `npm run fuzz` runs the same with more requests per route.
 *
 * In `npm test` on PostgreSQL only: the embedded PGlite serves one request at a time, and 300
 * requests per route there would double the suite's time for no route the PostgreSQL pass does
 * not cover. Set FUZZ_RUNS to run it on PGlite too.
 */
if (onPostgres || process.env.FUZZ_RUNS)
  fuzzSuite(useApi({ inProcess: true, poolMax: Math.max(2, fuzzBatch / 2) }), runsPerRoute(300));
else it.skip('fuzz: PostgreSQL only in npm test (FUZZ_RUNS runs it on PGlite)', () => undefined);
