import { loadMigrations } from '../../sql/migrator';
import { runMigrateRequest } from '../../functions/migrate/handler';
import { defaultMigrationsDir } from '../../sql/migrator';
import { useTestDatabase } from '../support';

describe('the migrate Lambda', () => {
  const db = useTestDatabase({ empty: true });
  const logins = async () => [{ username: 'eatsential_api', password: 'generated-password-for-tests' }];

  it('migrates on deploy, rolls back to a version when an operator asks, and refuses a malformed request', async () => {
    const all = await loadMigrations();
    const deploy = await runMigrateRequest(db.sql, {}, logins, defaultMigrationsDir);
    expect(deploy.applied).toHaveLength(all.length);
    expect(deploy.logins).toEqual(['eatsential_api']);

    const target = all[all.length - 2]?.version as string;
    const back = await runMigrateRequest(db.sql, { rollback: { to: target } }, logins, defaultMigrationsDir);
    expect(back).toMatchObject({
      applied: [],
      rolledBack: [`${all[all.length - 1]?.version}_${all[all.length - 1]?.name}.down.sql`],
    });

    await expect(
      runMigrateRequest(db.sql, { rollback: { to: 'latest; drop table x' } }, logins, defaultMigrationsDir),
    ).rejects.toThrow('invalid migrate request');
    expect(
      (await runMigrateRequest(db.sql, { RequestType: 'Create' }, logins, defaultMigrationsDir)).applied,
    ).toHaveLength(1);
  });
});
