import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { dbReport, formatReport } from '../../sql/report';
import { repoRoot, useTestDatabase } from '../support';

describe('npm run db:report', () => {
  const db = useTestDatabase();

  it('reports sizes, indexes, connections, slow statements and partitions of the migrated database', async () => {
    await db.sql`select audit.create_access_log_partition(date_trunc('month', now())::date)`;
    const report = await dbReport(db.sql);
    expect(report.database.name).toEqual(expect.any(String));
    expect(report.tables.map((t) => `${t.schema}.${t.table}`)).toEqual(
      expect.arrayContaining(['public.users', 'health.mood_logs', 'audit.access_logs']),
    );
    const accessLogs = report.tables.find((t) => t.table === 'access_logs');
    expect(accessLogs?.partitions).toBeGreaterThanOrEqual(2); // this month's and the default
    expect(report.indexes.map((i) => i.index)).toEqual(expect.arrayContaining(['users_pkey']));
    expect(report.partitions.map((p) => p.partition)).toEqual(
      expect.arrayContaining(['audit.access_logs_default']),
    );
    // Either the statements or why they cannot be read: never neither.
    expect(report.slowStatements !== null || report.slowStatementsNote !== null).toBe(true);

    const text = formatReport(report);
    for (const section of [
      'Database ',
      'Tables',
      'Indexes',
      'Connections to this database',
      'Slowest statements',
      'Partitions',
    ]) {
      expect(text).toContain(section);
    }
    expect(text).toContain('mood_logs');
  });

  it('prints the report and --json from the command line', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'db-report.ts'), ...args], {
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
      });
    const text = run();
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Database /);
    expect(text.stdout).toContain('Partitions');
    const json = run('--json');
    expect(json.status).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout) as object)).toEqual(
      expect.arrayContaining([
        'database',
        'tables',
        'indexes',
        'connections',
        'slowStatements',
        'partitions',
      ]),
    );
  }, 60_000);
});
