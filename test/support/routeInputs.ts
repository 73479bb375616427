import fc from 'fast-check';
import * as z from 'zod';
import { routes } from '../../functions/routes';
import type { Route } from '../../functions/core/route';

/**
 * Requests for any route, generated from its zod schemas (through their JSON Schema, the same one
 * the OpenAPI document publishes), so that suites walking the route table cover every route added
 * later without naming it.
 */

/** The subset of JSON Schema that `z.toJSONSchema` writes for request schemas. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
  examples?: unknown[];
}

/** Every route of the table, typed loosely: suites treat them alike. */
export const allRoutes = routes as readonly Route[];

/**
 * A request schema as JSON Schema, with the named components (`$ref` into `$defs`, as the OpenAPI
 * document names them) written in place, so that generators read one self-contained schema.
 */
export function jsonSchemaOf(schema: z.ZodType | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  const cached = inlined.get(schema);
  if (cached) return cached;
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  const defs = root.$defs ?? {};
  const inline = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) return v.map((e) => inline(e, depth));
    if (!v || typeof v !== 'object') return v;
    const { $ref, $defs: _defs, $schema: _schema, ...rest } = v as Record<string, unknown>;
    const target =
      typeof $ref === 'string' && depth < 12 ? defs[$ref.replace(/^#\/\$defs\//, '')] : undefined;
    const own = Object.fromEntries(Object.entries(rest).map(([k, e]) => [k, inline(e, depth)]));
    return target ? { ...(inline(target, depth + 1) as object), ...own } : own;
  };
  const out = inline(root, 0) as JsonSchema;
  inlined.set(schema, out);
  return out;
}
const inlined = new WeakMap<z.ZodType, JsonSchema>();

export interface ValidOptions {
  /** Free strings (no pattern, no format) carry this text, cut to their maximum length. */
  readonly marker?: string;
  /** UUID-typed values are drawn from these (ids seen in earlier answers: catalogue references). */
  readonly ids?: readonly string[];
  /**
   * Ids that fit a field or path parameter by its name (`meal_id`, `{ingredientId}`, `{id}` after
   * `/meals/`), known from earlier answers; when it has none, `ids` or any UUID.
   */
  readonly idsFor?: (name: string) => readonly string[];
  /** Codes of a vocabulary that fit a string field by its name (`llm_model`, `triggers`). */
  readonly codesFor?: (name: string) => readonly string[];
}

/**
 * Dates of birth and of the past, and days of the last weeks (logs refuse future days and years
 * before 2000): refinements JSON Schema cannot say, met by one branch or the other.
 */
const day = 24 * 3600 * 1000;
const isoDate = fc
  .oneof(
    fc.date({ min: new Date('1950-01-01'), max: new Date('2005-12-31'), noInvalidDate: true }),
    fc.integer({ min: 1, max: 40 }).map((n) => new Date(Date.now() - n * day)),
  )
  .map((d) => d.toISOString().slice(0, 10));

function stringArbitrary(s: JsonSchema, o: ValidOptions, name?: string): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Math.max(min, 40);
  const fits = (v: string) => [...v].length >= min && [...v].length <= max;
  if (s.format === 'uuid') {
    const fitting = name ? (o.idsFor?.(name) ?? []) : [];
    if (fitting.length) return fc.constantFrom(...fitting);
    return o.ids?.length ? fc.constantFrom(...o.ids) : fc.uuid({ version: 4 });
  }
  if (s.format === 'date') return isoDate;
  if (s.format === 'date-time') return isoDate.map((d) => `${d}T12:00:00Z`);
  if (s.format === 'email' || s.pattern?.includes('@'))
    return fc.stringMatching(/^[a-z0-9]{1,12}$/).map((n) => `${n}@example.com`);
  const codes = name ? (o.codesFor?.(name) ?? []) : [];
  if (codes.length) return fc.constantFrom(...codes);
  if (s.examples?.length) return fc.constantFrom(...(s.examples as string[]));
  const known = name ? knownValues(name) : undefined;
  if (known) return known;
  if (s.pattern) {
    const re = new RegExp(s.pattern, 'u');
    if (o.marker && re.test(o.marker) && fits(o.marker)) return fc.constant(o.marker);
    try {
      return fc.stringMatching(re).filter(fits);
    } catch {
      return fc.string({ minLength: min, maxLength: Math.min(max, 40) }).filter((v) => re.test(v));
    }
  }
  if (o.marker) {
    const text = o.marker.padEnd(min, '.').slice(0, max);
    return fc.constant(text);
  }
  return fc.string({ minLength: min, maxLength: Math.min(max, Math.max(min, 40)) });
}

function numberArbitrary(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const step = s.multipleOf ?? (integer ? 1 : undefined);
  let lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum : -1_000_000);
  let hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum : 1_000_000);
  if (step !== undefined) {
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    let k0 = Math.ceil(lo / step);
    let k1 = Math.floor(hi / step);
    if (s.exclusiveMinimum !== undefined && k0 * step <= s.exclusiveMinimum) k0 += 1;
    if (s.exclusiveMaximum !== undefined && k1 * step >= s.exclusiveMaximum) k1 -= 1;
    return fc.integer({ min: k0, max: k1 }).map((k) => Number((k * step).toFixed(decimals)));
  }
  if (s.exclusiveMinimum !== undefined) lo = s.exclusiveMinimum + 1e-6;
  if (s.exclusiveMaximum !== undefined) hi = s.exclusiveMaximum - 1e-6;
  return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
}

/**
 * Values of a kind that no schema can list and no answer names, known by the field's name: any
 * route's `time_zone` takes an IANA zone the runtime knows.
 */
function knownValues(name: string): fc.Arbitrary<string> | undefined {
  if (/time_?zone$/i.test(name))
    return fc.constantFrom('UTC', 'Europe/Paris', 'America/Los_Angeles', 'Asia/Tokyo');
  return undefined;
}

/** Values the schema accepts (refinements that JSON Schema cannot say aside). */
export function valid(s: JsonSchema | undefined, o: ValidOptions = {}, name?: string): fc.Arbitrary<unknown> {
  if (!s) return fc.constant(undefined);
  if ('const' in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    // Prefer the non-null branch: it is the one that carries data (and a marker).
    const [first, ...rest] = [...branches].sort(
      (a, b) => Number(a.type === 'null') - Number(b.type === 'null'),
    );
    return fc.oneof(
      { arbitrary: valid(first, o, name), weight: 4 },
      ...rest.map((b) => ({ arbitrary: valid(b, o, name), weight: 1 })),
    );
  }
  if (s.allOf?.length) return valid(s.allOf[0], o, name);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([k, v]) => [k, valid(v, o, k)]),
      );
      return fc.record(props, { requiredKeys: s.required ?? [] });
    }
    case 'array':
      return fc.array(valid(s.items, o, name), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'string':
      return stringArbitrary(s, o, name);
    case 'integer':
      return numberArbitrary(s, true);
    case 'number':
      return numberArbitrary(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** The path of a route with its `{params}` filled in, each value percent-encoded. */
export function fillPath(route: Route, params: Record<string, unknown> | undefined, raw = false): string {
  return route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = String(params?.[name] ?? '');
    return raw ? v : encodeURIComponent(v);
  });
}

export const paramNames = (route: Route): string[] =>
  [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);

/**
 * What a path parameter names: itself (`ingredientId`), or for a bare `{id}` the collection
 * before it (`/admin/meals/{id}` names a meal).
 */
export function paramHint(route: Route, name: string): string {
  if (name !== 'id') return name;
  const before = route.path.split(`/{${name}}`)[0]?.split('/').pop();
  return before ?? name;
}

/** Options for a route's path parameters: `idsFor` asked by what each parameter names. */
const forParams = (route: Route, o: ValidOptions): ValidOptions =>
  o.idsFor ? { ...o, idsFor: (name) => o.idsFor?.(paramHint(route, name)) ?? [] } : o;

/** `?a=1&b=x` from a generated query object (empty string when there is nothing to send). */
export function queryString(query: unknown): string {
  if (!query || typeof query !== 'object') return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.append(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface GeneratedRequest {
  readonly method: string;
  /** Path and query, as sent on the request line. */
  readonly target: string;
  readonly body?: string;
  readonly headers: Record<string, string>;
}

/** A valid request for the route: path parameters, query and body from its schemas. */
export function validRequest(route: Route, o: ValidOptions = {}): fc.Arbitrary<GeneratedRequest> {
  return fc
    .record({
      params: valid(jsonSchemaOf(route.schemas.params), forParams(route, o)),
      query: valid(jsonSchemaOf(route.schemas.query), o),
      body: valid(jsonSchemaOf(route.schemas.body), o),
      key: fc.uuid({ version: 4 }),
    })
    .map(({ params, query, body, key }) => ({
      method: route.method,
      target: fillPath(route, params as Record<string, unknown>) + queryString(query),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(route.idempotent ? { 'idempotency-key': key } : {}),
      },
    }));
}

// ---- hostile requests ------------------------------------------------------------------------

/** Strings that break naive code: NUL, lone surrogates, bidi overrides, combining marks, huge ones. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    'x\ud83d',
    '\udc00y',
    '\u202e\u2066',
    '\uffff\ufffe',
    '💩',
    'e\u0301\u0301\u0301',
    '',
    ' ',
    "'; drop table public.users; --",
    '%00',
    '${7*7}{{7*7}}',
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '__proto__',
  ),
  fc
    .tuple(fc.integer({ min: 256, max: 70_000 }), fc.constantFrom('a', 'é', '💩', '\u0000', '\ud800'))
    .map(([n, c]) => c.repeat(n)),
);

/** A value of any JSON type, or one that is not what any field wants. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.constantFrom(null, true, false, 0, -1, -0, 1e308, -1e308, 2 ** 53 + 1, 0.1, 5e-324, 1e21, [], {}),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(nastyString, { maxLength: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
);

/** Raw JSON text nested `depth` levels deep: arrays or objects. */
const deepText = fc
  .tuple(fc.integer({ min: 64, max: 20_000 }), fc.boolean())
  .map(([d, arrays]) => (arrays ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d)));

const json = (v: unknown) => JSON.stringify(v) ?? 'null';

/** Object text from key/value-text pairs, keeping duplicates and `__proto__` as written. */
const objectText = (pairs: [string, string][]) =>
  `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** Body text derived from a valid body: one field made wrong, keys added or repeated, or broken JSON. */
function bodyText(validBody: fc.Arbitrary<unknown>, fieldNames: string[]): fc.Arbitrary<string> {
  const pairsOf = (b: unknown): [string, string][] =>
    b && typeof b === 'object' && !Array.isArray(b) ? Object.entries(b).map(([k, v]) => [k, json(v)]) : [];
  const field = fieldNames.length ? fc.constantFrom(...fieldNames) : fc.constant('x');
  return fc.oneof(
    { weight: 15, arbitrary: validBody.map(json) },
    // one field of the wrong type, or a hostile string
    {
      weight: 30,
      arbitrary: fc
        .tuple(validBody, field, nastyValue)
        .map(([b, k, v]) => objectText([...pairsOf(b).filter(([n]) => n !== k), [k, json(v)]])),
    },
    // one field nested deeply
    {
      weight: 5,
      arbitrary: fc
        .tuple(validBody, field, deepText)
        .map(([b, k, d]) => objectText([...pairsOf(b).filter(([n]) => n !== k), [k, d]])),
    },
    // prototype keys and unknown keys
    {
      weight: 10,
      arbitrary: fc
        .tuple(
          validBody,
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'role', 'user_id', 'id', '', '\u0000'),
          fc.oneof(nastyValue, fc.constant({ role: 'admin', isAdmin: true, polluted: 1 })),
        )
        .map(([b, k, v]) => objectText([...pairsOf(b), [k, json(v)]])),
    },
    // a key twice: the hostile value first or last
    {
      weight: 10,
      arbitrary: fc.tuple(validBody, field, nastyValue, fc.boolean()).map(([b, k, v, first]) => {
        const pairs = pairsOf(b);
        const own = pairs.find(([n]) => n === k)?.[1] ?? 'null';
        const dup: [string, string][] = first
          ? [[k, json(v)], ...pairs, [k, own]]
          : [[k, own], ...pairs, [k, json(v)]];
        return objectText(dup);
      }),
    },
    // not an object at all, or not JSON
    { weight: 10, arbitrary: nastyValue.map(json) },
    { weight: 5, arbitrary: deepText },
    {
      weight: 10,
      arbitrary: fc.oneof(
        validBody.map((b) => json(b).slice(0, -1)),
        validBody.map((b) => `\ufeff${json(b)}`),
        fc.constantFrom(
          '{',
          '}',
          '[',
          'nul',
          'undefined',
          "{'a':1}",
          '{"a":1,}',
          '{"a":01}',
          'NaN',
          '\u0000',
        ),
        nastyString,
      ),
    },
    // a body of more than 1 MB
    { weight: 1, arbitrary: fc.constantFrom('a', '[').map((c) => json(c.repeat(1024 * 1024 + 10))) },
  );
}

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/merge-patch+json',
      'application/jsonx',
      '*/*',
      '',
    ),
  },
);

/** Path segments that are not what a parameter wants, percent-encoded or raw (and badly encoded). */
const hostileSegment = fc.oneof(
  nastyString
    .filter((s) => s.length < 2000)
    .map((s) => {
      try {
        return encodeURIComponent(s);
      } catch {
        return '%ED%A0%80'; // a lone surrogate, as its UTF-8 would be written
      }
    }),
  fc.constantFrom('%', '%zz', '%C3', '%ED%A0%80', '%00', '%2e%2e', '%2F', 'a%2Fb', '%252e', '%C0%AE', '%FF'),
  fc.constantFrom('x', '1', '-1', '0', 'null', 'undefined', '00000000-0000-0000-0000-000000000000'),
  fc.integer({ min: 100, max: 3000 }).map((n) => 'f'.repeat(n)),
);

const hostileQueryPair = fc.oneof(
  fc
    .tuple(
      nastyString.filter((s) => s.length < 2000),
      nastyString.filter((s) => s.length < 2000),
    )
    .map(([k, v]) => {
      try {
        return `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
      } catch {
        return 'q=%ED%A0%80';
      }
    }),
  fc.constantFrom(
    '__proto__=1',
    'constructor[prototype]=1',
    'limit=%zz',
    'limit=%',
    'limit=1e309',
    'limit=-1',
    'limit=0x10',
    'limit=',
    'limit=1&limit=2',
    'limit[]=1',
    'cursor=%00',
    'cursor=%ED%A0%80',
    'cursor=e30',
    '&&&',
    '=',
  ),
);

/** A hostile request for the route: each part valid or not, so that every check is reached. */
export function hostileRequest(route: Route, o: ValidOptions = {}): fc.Arbitrary<GeneratedRequest> {
  const body = jsonSchemaOf(route.schemas.body);
  const names = paramNames(route);
  const fieldNames = Object.keys(body?.properties ?? {});
  const validParams = valid(jsonSchemaOf(route.schemas.params), forParams(route, o)) as fc.Arbitrary<
    Record<string, unknown>
  >;
  const params = fc.oneof(
    { weight: 3, arbitrary: validParams.map((p) => fillPath(route, p)) },
    {
      weight: names.length ? 2 : 0,
      arbitrary: fc
        .tuple(validParams, fc.array(hostileSegment, { minLength: names.length, maxLength: names.length }))
        .map(([p, segs]) =>
          fillPath(route, Object.fromEntries(names.map((n, i) => [n, segs[i] ?? p[n]])), true),
        ),
    },
  );
  const query = fc.oneof(
    { weight: 3, arbitrary: valid(jsonSchemaOf(route.schemas.query), o).map(queryString) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          valid(jsonSchemaOf(route.schemas.query), o).map(queryString),
          fc.array(hostileQueryPair, { minLength: 1, maxLength: 3 }),
        )
        .map(([q, extra]) => `${q || '?'}${q ? '&' : ''}${extra.join('&')}`),
    },
  );
  const sendsBody = route.method !== 'GET';
  const text = sendsBody
    ? fc.oneof(
        { weight: body ? 10 : 1, arbitrary: bodyText(valid(body, o), fieldNames) },
        { weight: body ? 1 : 3, arbitrary: fc.constant(undefined) },
      )
    : fc.constant(undefined);
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 300,
  });
  const extraHeaders = fc.record(
    {
      'idempotency-key': route.idempotent ? fc.oneof(fc.uuid({ version: 4 }), printable) : printable,
      'if-match': printable,
      'if-none-match': printable,
    },
    { requiredKeys: [] },
  );
  return fc
    .record({
      path: params,
      query,
      body: text,
      type: contentType,
      extra: extraHeaders,
      key: fc.uuid({ version: 4 }),
    })
    .map(({ path, query: q, body: b, type, extra, key }) => ({
      method: route.method,
      target: path + q,
      ...(b !== undefined ? { body: b } : {}),
      headers: {
        ...(route.idempotent ? { 'idempotency-key': key } : {}),
        ...extra,
        ...(b !== undefined && type ? { 'content-type': type } : {}),
      },
    }));
}

/** Whether the route's own zod schemas accept a generated request (refinements included). */
export function passesSchemas(route: Route, req: GeneratedRequest): boolean {
  const url = new URL(req.target, 'http://x');
  const names = paramNames(route);
  const template = new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
  const values = template.exec(url.pathname)?.slice(1) ?? [];
  const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')]));
  const query = Object.fromEntries(url.searchParams);
  const { schemas } = route;
  return (
    (!schemas.params || schemas.params.safeParse(params).success) &&
    (!schemas.query || schemas.query.safeParse(query).success) &&
    (!schemas.body || (req.body !== undefined && schemas.body.safeParse(JSON.parse(req.body)).success))
  );
}

/** Up to `count` generated requests that the route's schemas accept (fewer if they are rare). */
export function sampleValid(
  route: Route,
  count: number,
  o: ValidOptions & { seed?: number } = {},
): GeneratedRequest[] {
  const all = fc.sample(validRequest(route, o), { numRuns: Math.max(count * 8, 40), seed: o.seed ?? 42 });
  const good = all.filter((r) => passesSchemas(route, r));
  return (good.length ? good : all).slice(0, count);
}
