import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { run } from '../../functions/jobs/partitions/handler';
import { jobs } from '../../functions/jobs/table';
import { migrate } from '../../sql/migrator';
import { repoRoot, useTestDatabase } from '../support';

describe('partition maintenance job', () => {
  const db = useTestDatabase();
  const now = new Date();
  const month = (plus: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + plus, 15, 12));
  const name = (d: Date) => `audit.access_logs_${d.toISOString().slice(0, 7).replace('-', '_')}`;

  const placement = () =>
    db.sql<{ endpoint: string; partition: string }[]>`
      select endpoint, tableoid::regclass::text as partition from audit.access_logs order by endpoint`;

  it('moves this and next month into their own partitions, and a second run changes nothing', async () => {
    await db.sql`insert into audit.access_logs (endpoint, method, status_code, accessed_at)
                 values ('/this-month', 'GET', 200, ${month(0)}), ('/next-month', 'GET', 200, ${month(1)})`;
    expect((await placement()).map((r) => r.partition)).toEqual([
      'audit.access_logs_default',
      'audit.access_logs_default',
    ]);

    const first = await run({ sql: db.sql, now });
    expect(first.created).toHaveLength(4);
    expect(await placement()).toEqual([
      { endpoint: '/next-month', partition: name(month(1)) },
      { endpoint: '/this-month', partition: name(month(0)) },
    ]);

    const before = await db.sql`select relname from pg_class where relname like 'access_logs_%' order by 1`;
    const second = await run({ sql: db.sql, now });
    expect(second).toMatchObject({ created: [], existing: 4 });
    expect(await db.sql`select relname from pg_class where relname like 'access_logs_%' order by 1`).toEqual(
      before,
    );
    expect(await placement()).toHaveLength(2);
  });

  it('creates partitions into a new year', async () => {
    const report = await run({ sql: db.sql, now: new Date(Date.UTC(2031, 10, 30)) });
    expect(report.created).toEqual(['2031-11', '2031-12', '2032-01', '2032-02']);
  });
});

describe('npm run job -- partitions', () => {
  const db = useTestDatabase();
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'functions', 'jobs', 'cli.ts'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'SILENT' },
    });

  it('runs the job once and prints its report', () => {
    const out = cli(['partitions']);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout.trim().split('\n').pop() as string)).toMatchObject({
      job: 'partitions',
      existing: 0,
    });
    expect(JSON.parse(cli(['partitions']).stdout.trim().split('\n').pop() as string)).toMatchObject({
      created: [],
      existing: 4,
    });
  });

  it('names every job and what it does when asked for one that does not exist', () => {
    const out = cli(['nonsense']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('there is no job "nonsense"');
    for (const job of jobs) {
      expect(out.stderr.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^ +${job.name} +\\S`)));
      expect(out.stderr).toContain(job.description);
    }
  });
});

describe('npm run job on a database that was never migrated', () => {
  const db = useTestDatabase({ empty: true });
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'functions', 'jobs', 'cli.ts'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'SILENT' },
    });

  it('says to run the migrations instead of printing an SQL error', () => {
    const out = cli(['partitions']);

    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/is not migrated: run npm run db:migrate$/),
    ]);
  });

  it('says so too when only the first migrations ran', async () => {
    await migrate(db.sql, { to: '20261124000100' });

    const out = cli(['partitions']);

    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/lacks what the job needs \(SQLSTATE \w+\): run npm run db:migrate$/),
    ]);
  });
});
