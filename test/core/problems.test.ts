import { problemFor } from '../../functions/core/problems';
import { ConflictError } from '../../functions/core/errors';
import { useTestDatabase } from '../support';

describe('the error mapper', () => {
  const db = useTestDatabase();

  const failureOf = async (query: () => Promise<unknown>) => {
    try {
      await query();
    } catch (e) {
      return e;
    }
    throw new Error('the query was expected to fail');
  };

  it.each([
    [
      'a unique violation',
      '23505',
      409,
      'already_exists',
      () => db.sql`insert into health.allergens (name, category) values ('Peanuts', 'Food')`,
    ],
    [
      'a check violation',
      '23514',
      422,
      'constraint_violation',
      () => db.sql`insert into health.allergens (name, category) values ('Pollen', 'Weather')`,
    ],
    ['text that is not a uuid', '22P02', 400, 'invalid_value', () => db.sql`select ${'not-a-uuid'}::uuid`],
    [
      'a date out of range',
      '22008',
      400,
      'invalid_datetime',
      () => db.sql`select ${'0000-01-01T00:00:00Z'}::timestamptz`,
    ],
    [
      'a time zone offset out of range',
      '22009',
      400,
      'invalid_datetime',
      () => db.sql`select ${'9999-12-31T23:59:59-23:59'}::timestamptz`,
    ],
    ['a NUL character', '22021', 400, 'invalid_characters', () => db.sql`select ${'phone\u0000'}::text`],
    [
      'a row-level security refusal',
      '42501',
      403,
      'forbidden',
      () =>
        db.sql.begin(async (tx) => {
          await tx`select set_config('role', 'eatsential_write', true)`;
          await tx`insert into health.allergens (name, category) values ('X', 'Food')`;
        }),
    ],
  ])(
    'answers %s (SQLSTATE %s) with %i %s and no database wording',
    async (_what, sqlstate, status, code, query) => {
      const error = await failureOf(query);
      expect(error).toMatchObject({ code: sqlstate });
      const { problem } = problemFor(error, 'req-1');
      expect(problem).toMatchObject({ status, code, instance: 'req-1' });
      expect(problem.detail).not.toContain((error as Error).message);
    },
  );

  it.each([
    ['the server shutting down', '57P01'],
    ['the server still starting up', '57P03'],
    ['a pooler that lost its server connection under a transaction (pgbouncer)', '08P01'],
  ])('answers %s (SQLSTATE %s) with 503 unavailable and Retry-After', async (_what, sqlstate) => {
    // Raised for real: the same SQLSTATE a restarting server sends.
    const error = await failureOf(() =>
      db.sql.unsafe(`do $$ begin raise exception using errcode = '${sqlstate}'; end $$`),
    );
    expect(error).toMatchObject({ code: sqlstate });
    const { problem, headers } = problemFor(error);
    expect([problem.status, problem.code, headers['retry-after']]).toEqual([503, 'unavailable', '1']);
  });

  it('answers a function that ran out of time with 503 timeout, not 500', () => {
    const timeout = Object.assign(new Error('[AbortError]: The operation was aborted.'), {
      name: 'TimeoutError',
    });
    const { problem, headers } = problemFor(timeout);
    expect([problem.status, problem.code, headers['retry-after']]).toEqual([503, 'timeout', '1']);
  });

  it('answers anything unexpected with a bare 500', () => {
    const { problem } = problemFor(
      new TypeError("Cannot read properties of undefined (reading 'password_hash')"),
    );
    expect(problem).toMatchObject({
      status: 500,
      code: 'internal_error',
      detail: 'An unexpected error occurred',
    });
    expect(JSON.stringify(problem)).not.toContain('password_hash');
  });

  it('keeps the status, code, detail and headers of an application error', () => {
    const { problem, headers } = problemFor(
      new ConflictError('Busy', { code: 'in_progress', headers: { 'retry-after': '1' } }),
    );
    expect(problem).toMatchObject({
      status: 409,
      code: 'in_progress',
      detail: 'Busy',
      type: 'urn:eatsential:problem:in_progress',
    });
    expect(headers).toEqual({ 'retry-after': '1' });
  });
});
