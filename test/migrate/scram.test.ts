import { randomBytes } from 'node:crypto';
import { scramSha256Verifier } from '../../functions/core/scram';
import { setLoginPasswords } from '../../functions/migrate/handler';
import { useTestDatabase } from '../support';

describe('SCRAM-SHA-256 verifiers', () => {
  const db = useTestDatabase();

  it('match what PostgreSQL itself stores for the same password and salt', async () => {
    const role = `scram_${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    await db.sql.begin(async (tx) => {
      await tx`set local password_encryption = 'scram-sha-256'`;
      await tx.unsafe(`create role ${role} password '${password}'`);
    });
    try {
      const [row] = await db.sql<
        { rolpassword: string }[]
      >`select rolpassword from pg_authid where rolname = ${role}`;
      const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(row?.rolpassword ?? '') ?? [];
      expect(scramSha256Verifier(password, Buffer.from(salt ?? '', 'base64'), Number(iterations))).toBe(
        row?.rolpassword,
      );
      expect(
        scramSha256Verifier('another password', Buffer.from(salt ?? '', 'base64'), Number(iterations)),
      ).not.toBe(row?.rolpassword);
    } finally {
      await db.sql.unsafe(`drop role ${role}`);
    }
  });

  it('sets the login roles’ passwords and refuses any other role', async () => {
    expect(
      await setLoginPasswords(db.sql, [
        { username: 'eatsential_api', password: 'a-long-generated-password' },
      ]),
    ).toEqual(['eatsential_api']);
    const [row] = await db.sql<
      { rolpassword: string }[]
    >`select rolpassword from pg_authid where rolname = 'eatsential_api'`;
    expect(row?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    await expect(setLoginPasswords(db.sql, [{ username: 'postgres', password: 'x' }])).rejects.toThrow(
      'refusing',
    );
  });
});
