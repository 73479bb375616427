import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { contractViolation, declaredProblems, routeFinder } from '../../functions/core/contract';
import type { Route } from '../../functions/core/route';
import { routes } from '../../functions/routes';
import { pageQuery } from '../../functions/core/pagination';

const base = { domain: 'test', operationId: 'x', summary: 'x' } as const;
const publicGet: Route = {
  ...base,
  method: 'GET',
  path: '/things',
  access: 'public',
  status: 200,
  schemas: {},
};
const userPost: Route = {
  ...base,
  method: 'POST',
  path: '/me/things',
  access: 'user',
  status: 201,
  idempotent: true,
  schemas: { body: z.strictObject({ a: z.string() }) },
  problems: { 409: ['thing_exists'] },
};
const adminPut: Route = {
  ...base,
  method: 'PUT',
  path: '/admin/things/{id}',
  access: 'admin',
  status: 200,
  schemas: { params: z.strictObject({ id: z.uuid() }), body: z.strictObject({ a: z.string() }) },
  problems: { 404: ['thing_not_found'] },
};
const paged: Route = {
  ...base,
  method: 'GET',
  path: '/me/pages',
  access: 'user',
  status: 200,
  schemas: { query: pageQuery },
};

const asObject = (r: Route) => Object.fromEntries(declaredProblems(r));

describe('the problems a route declares, derived from its fields', () => {
  it('every route: malformed paths, bodies above 1 MB, throttling and service errors', () => {
    expect(asObject(publicGet)).toEqual({
      400: ['invalid_path', 'unexpected_body', 'unexpected_query'],
      413: ['body_too_large'],
      429: ['too_many_requests'],
      500: ['internal_error'],
      503: ['retry', 'timeout', 'unavailable'],
    });
  });

  it('a signed-in idempotent route with a body: 401, 415, the idempotency codes and its own', () => {
    const d = asObject(userPost);
    expect(d[400]).toEqual(
      expect.arrayContaining([
        'malformed_json',
        'validation_failed',
        'invalid_idempotency_key',
        'invalid_characters',
      ]),
    );
    expect(d[401]).toEqual(['invalid_token', 'missing_token', 'session_ended', 'token_expired']);
    expect(d[409]).toEqual(['idempotency_request_in_progress', 'thing_exists']);
    expect(d[415]).toEqual(['unsupported_media_type']);
    expect(d[422]).toEqual(['idempotency_key_reused']);
    expect(d[403]).toBeUndefined();
    expect(d[412]).toBeUndefined();
  });

  it('an admin PUT with a path parameter: 403 admin_only, 412 stale_version, its 404', () => {
    const d = asObject(adminPut);
    expect(d[403]).toEqual(['admin_only']);
    expect(d[412]).toEqual(['stale_version']);
    expect(d[404]).toEqual(['thing_not_found']);
    expect(asObject({ ...adminPut, ifMatch: false })[412]).toBeUndefined();
  });

  it('a paged query: invalid_cursor', () => {
    expect(asObject(paged)[400]).toContain('invalid_cursor');
    expect(asObject(publicGet)[400]).not.toContain('invalid_cursor');
  });
});

describe('an answer checked against the route table', () => {
  const find = routeFinder(routes as readonly Route[]);
  const problem = (status: number, code: string) => ({
    status,
    contentType: 'application/problem+json',
    code,
  });

  it('finds routes by method and path template', () => {
    expect(find('DELETE', '/me/sessions/8d4f7e7e-0000-4000-8000-000000000000')?.operationId).toBe(
      'revokeSession',
    );
    expect(find('get', '/me/')?.operationId).toBe('getMe');
    expect(find('GET', '/me/sessions/x')).toBeUndefined();
  });

  it('passes what the route declares', () => {
    const login = find('POST', '/auth/login');
    expect(contractViolation(login, problem(401, 'invalid_credentials'))).toBeNull();
    expect(
      contractViolation(login, { status: 200, contentType: 'application/json', code: undefined }),
    ).toBeNull();
    expect(contractViolation(undefined, problem(404, 'not_found'))).toBeNull();
    expect(
      contractViolation(find('GET', '/reference/allergens'), {
        status: 304,
        contentType: null,
        code: undefined,
      }),
    ).toBeNull();
  });

  it('fails an undeclared status, an undeclared code, a problem that is not problem+json, and a wrong success', () => {
    const login = find('POST', '/auth/login');
    expect(contractViolation(login, problem(404, 'not_found'))).toMatch(
      /POST \/auth\/login answered 404 .*does not declare/,
    );
    expect(contractViolation(login, problem(401, 'session_ended'))).toMatch(
      /code "session_ended", which it does not declare for 401/,
    );
    expect(
      contractViolation(login, { status: 401, contentType: 'application/json', code: undefined }),
    ).toMatch(/not application\/problem\+json/);
    expect(
      contractViolation(login, { status: 201, contentType: 'application/json', code: undefined }),
    ).toMatch(/answered 201/);
    expect(
      contractViolation(find('GET', '/me'), { status: 304, contentType: null, code: undefined }),
    ).toMatch(/304/);
    expect(contractViolation(undefined, problem(500, 'internal_error'))).toMatch(/no route matches/);
  });
});

/** The literal `code`s inside `new XxxError(...)` calls (other `code` fields are not problems). */
function thrownCodes(source: string): string[] {
  const codes: string[] = [];
  for (const m of source.matchAll(/new \w+Error\(/g)) {
    let depth = 0;
    let end = m.index + m[0].length - 1;
    for (; end < source.length; end += 1) {
      if (source[end] === '(') depth += 1;
      if (source[end] === ')' && --depth === 0) break;
    }
    for (const c of source.slice(m.index, end).matchAll(/\bcode: '([a-z0-9_]+)'/g)) codes.push(c[1]!);
  }
  return codes;
}

describe('the codes operations throw', () => {
  it('are each declared by some route of their domain', () => {
    const root = join(__dirname, '..', '..');
    const undeclared: string[] = [];
    for (const domain of new Set((routes as readonly Route[]).map((r) => r.domain))) {
      const file = join(root, 'functions', domain, 'operations.ts');
      if (!existsSync(file)) continue;
      const declared = new Set(
        (routes as readonly Route[])
          .filter((r) => r.domain === domain)
          .flatMap((r) => [...declaredProblems(r).values()].flat()),
      );
      for (const code of thrownCodes(readFileSync(file, 'utf8')))
        if (!declared.has(code)) undeclared.push(`${domain}: ${code}`);
    }
    expect(undeclared).toEqual([]);
  });
});
