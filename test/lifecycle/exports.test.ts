import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { parseKeyring } from '../../functions/core/notes';
import { exportedTables, tablesLeftOut } from '../../functions/exports/document';
import { allergyIntolerance, type AllergyFacts } from '../../functions/exports/fhir';
import { createUser, testNoteKeyring, useApi, type TestApi } from '../support';
import { useTestBucket } from '../support/s3';
import { fillPerson, personColumns } from './people';

const ring = parseKeyring(JSON.stringify(testNoteKeyring));

/** FHIR R4 value sets of the AllergyIntolerance elements we fill. */
const fhir = {
  clinical: {
    system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
    codes: ['active', 'inactive', 'resolved'],
  },
  verification: {
    system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
    codes: ['unconfirmed', 'presumed', 'confirmed', 'refuted', 'entered-in-error'],
  },
  type: ['allergy', 'intolerance'],
  category: ['food', 'medication', 'environment', 'biologic'],
  criticality: ['low', 'high', 'unable-to-assess'],
  severity: ['mild', 'moderate', 'severe'],
  dateTime:
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/,
};

/** Structural problems of an AllergyIntolerance resource against FHIR R4 (empty when valid). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource read back from JSON, checked field by field
function allergyProblems(r: Record<string, any>): string[] {
  const out: string[] = [];
  const coded = (
    name: string,
    cc: { coding?: { system?: string; code?: string }[] } | undefined,
    set: { system: string; codes: string[] },
  ) => {
    const c = cc?.coding?.[0];
    if (!c || c.system !== set.system || !set.codes.includes(String(c.code)))
      out.push(`${name}: ${JSON.stringify(cc)}`);
  };
  if (r.resourceType !== 'AllergyIntolerance') out.push('resourceType');
  if (typeof r.patient?.reference !== 'string') out.push('patient is required');
  coded('clinicalStatus', r.clinicalStatus, fhir.clinical);
  coded('verificationStatus', r.verificationStatus, fhir.verification);
  if (r.type !== undefined && !fhir.type.includes(r.type)) out.push(`type ${r.type}`);
  for (const c of r.category ?? []) if (!fhir.category.includes(c)) out.push(`category ${c}`);
  if (r.criticality !== undefined && !fhir.criticality.includes(r.criticality))
    out.push(`criticality ${r.criticality}`);
  if (!r.code?.text && !r.code?.coding?.length) out.push('code');
  if (r.recordedDate !== undefined && !fhir.dateTime.test(r.recordedDate))
    out.push(`recordedDate ${r.recordedDate}`);
  for (const reaction of r.reaction ?? []) {
    if (!Array.isArray(reaction.manifestation) || reaction.manifestation.length === 0)
      out.push('reaction.manifestation');
    if (reaction.severity !== undefined && !fhir.severity.includes(reaction.severity))
      out.push(`severity ${reaction.severity}`);
  }
  return out;
}

/** A session and an access token for a person made by fillPerson. */
async function signIn(api: TestApi, userId: string): Promise<string> {
  const { signAccessToken } = await import('../../functions/core/tokens');
  const [session] = await api.db.sql<{ id: string }[]>`
    insert into auth.user_sessions (user_id, refresh_token_hash, expires_at)
    values (${userId}, ${randomBytes(32)}, now() + interval '1 day') returning id`;
  return signAccessToken({ userId, role: 'user', sessionId: session!.id });
}

describe('data exports ("my data")', () => {
  const bucket = useTestBucket();
  beforeAll(() => {
    process.env.BACKUP_BUCKET = 'eatsential-exports-test';
    process.env.S3_ENDPOINT = bucket.endpoint;
  });
  const api = useApi();

  async function exportOf(token: string) {
    const asked = await api.request('POST', '/me/exports', { token });
    expect(asked.status).toBe(202);
    const got = await api.request('GET', `/me/exports/${asked.body.id}`, { token });
    return { asked, got };
  }

  async function download(url: string): Promise<Buffer> {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('reads every person-linked table, or says why it leaves one out', async () => {
    const linked = [
      ...new Set(
        (await personColumns(api.db.sql))
          .filter((c) => c.action === 'delete')
          .map((c) => `${c.table_schema}.${c.table_name}`),
      ),
    ];

    const unaccounted = linked.filter((t) => !exportedTables.includes(t) && !(t in tablesLeftOut));

    expect(unaccounted).toEqual([]);
  });

  it('builds one JSON document of everything held, every note opened, downloadable for 15 minutes', async () => {
    const person = await fillPerson(api.db.sql, { ring });
    const token = await signIn(api, person.id);

    const { asked, got } = await exportOf(token);

    expect(asked.headers.get('location')).toBe(`/me/exports/${asked.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: asked.body.id, status: 'ready', failure: null });
    const expires = Date.parse(got.body.download.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(14 * 60_000);
    expect(expires).toBeLessThanOrEqual(15 * 60_000);
    expect(new URL(got.body.download.url).searchParams.get('X-Amz-Expires')).toBe('900');
    const bytes = await download(got.body.download.url);
    expect(bytes.length).toBe(got.body.size_bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(got.body.sha256);
    const doc = JSON.parse(bytes.toString('utf8'));
    const note = (table: string) => `note of ${person.id} in ${table}`;
    expect(doc).toMatchObject({
      format: 'eatsential-export/1',
      export_id: asked.body.id,
      person_id: person.id,
      account: { id: person.id },
      health_profile: { id: person.profileId },
      allergies: [{ allergen_name: 'Peanuts', severity: 'SEVERE', notes: note('public.user_allergies') }],
      medical_conditions: [{ notes: note('public.user_medical_conditions') }],
      feedback: [{ rating: 4, comment: note('public.feedback') }],
      mental_wellness: {
        mood_logs: [{ mood_score: 7, notes: note('health.mood_logs') }],
        stress_logs: [
          {
            notes: note('health.stress_logs'),
            triggers_other: note('health.stress_logs'),
            coping_other: note('health.stress_logs'),
          },
        ],
        sleep_logs: [{ notes: note('health.sleep_logs') }],
        mindfulness_sessions: [{ notes: note('health.mindfulness_sessions') }],
        mental_wellness_goals: [{ notes: note('health.mental_wellness_goals') }],
        ai_chat_sessions: [
          {
            session_title: note('health.ai_chat_sessions'),
            context_summary: note('health.ai_chat_sessions'),
          },
        ],
      },
      unreadable_notes: 0,
      fhir: { resourceType: 'Bundle', type: 'collection' },
    });
    for (const part of [
      'sessions',
      'dietary_restrictions',
      'fitness_goals',
      'consents',
      'recommendations',
      'payment_methods',
      'read_audits',
      'security_events',
    ])
      expect(doc[part].length).toBeGreaterThan(0);
    expect(doc.preferences).not.toBeNull();
    // Secrets of the account and ciphertexts never leave.
    expect(bytes.toString('utf8')).not.toMatch(
      /_encrypted|_key_version|password_hash|refresh_token_hash|card_number/,
    );
  });

  it('gives the allergies as FHIR R4 AllergyIntolerance resources that validate structurally', async () => {
    const person = await fillPerson(api.db.sql, { ring });
    const token = await signIn(api, person.id);
    const { got } = await exportOf(token);
    const doc = JSON.parse((await download(got.body.download.url)).toString('utf8'));

    const resources = doc.fhir.entry.map((e: { resource: Record<string, unknown> }) => e.resource);

    expect(resources).toHaveLength(1);
    expect(resources.flatMap(allergyProblems)).toEqual([]);
    expect(doc.fhir.entry[0].fullUrl).toBe(`urn:uuid:${doc.allergies[0].id}`);
    expect(resources[0]).toMatchObject({
      patient: { reference: `urn:uuid:${person.id}` },
      criticality: 'high',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '256349002' }], text: 'Peanuts' },
      reaction: [
        { manifestation: [{ text: `note of ${person.id} in public.user_allergies` }], severity: 'severe' },
      ],
    });
  });

  const facts = (over: Partial<AllergyFacts>): AllergyFacts => ({
    id: randomUUID(),
    allergen_name: 'Sesame',
    severity: 'MILD',
    notes: null,
    diagnosed_date: null,
    created_at: '2026-11-30T10:00:00.123456+00:00',
    ...over,
  });

  it.each([
    ['MILD', 'low', 'mild'],
    ['MODERATE', 'low', 'moderate'],
    ['SEVERE', 'high', 'severe'],
    ['LIFE_THREATENING', 'high', 'severe'],
  ] as const)(
    'maps severity %s to criticality %s and reaction severity %s',
    (severity, criticality, reaction) => {
      const r = allergyIntolerance(randomUUID(), facts({ severity, notes: 'hives' }));

      expect(allergyProblems(r)).toEqual([]);
      expect(r).toMatchObject({ criticality, reaction: [{ severity: reaction }] });
    },
  );

  it('names an allergen with no known coding by text only, and leaves out a reaction with no notes', () => {
    const r = allergyIntolerance(
      randomUUID(),
      facts({ allergen_name: 'Lupin', diagnosed_date: '2019-04-01' }),
    );

    expect(allergyProblems(r)).toEqual([]);
    expect(r.code).toEqual({ text: 'Lupin' });
    expect(r).not.toHaveProperty('reaction');
    expect(r).toMatchObject({ onsetDateTime: '2019-04-01' });
  });

  it('exports without a mental-health consent, and leaves mental wellness out when there is none', async () => {
    const user = await createUser(api.db);

    const { got } = await exportOf(user.token);

    expect(got.body.status).toBe('ready');
    const doc = JSON.parse((await download(got.body.download.url)).toString('utf8'));
    expect(doc).not.toHaveProperty('mental_wellness');
    expect(doc.fhir.entry).toEqual([]);
    const [read] = await api.db
      .sql`select count(*)::int as n from audit.data_reads where subject_user_id = ${user.id}`;
    expect(read!.n).toBe(0);
  });

  it('answers the export already pending to a second request, also to two phones at once', async () => {
    const user = await createUser(api.db);
    // A first request's row, committed a moment after both phones ask (whichever way the timing
    // falls, they find it pending: waiting on the unique index, or after its commit).
    const first = api.db.connect();
    let inserted!: () => void;
    const isInserted = new Promise<void>((resolve) => (inserted = resolve));
    const held = first.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        insert into public.data_exports (user_id) values (${user.id}) returning id`;
      inserted();
      await new Promise((resolve) => setTimeout(resolve, 200));
      return row!.id;
    });
    await isInserted;

    const [a, b] = await Promise.all([
      api.request('POST', '/me/exports', { token: user.token }),
      api.request('POST', '/me/exports', { token: user.token }),
    ]);

    const id = await held;
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.body.id, b.body.id]).toEqual([id, id]);
    const rows = await api.db.sql`select status from public.data_exports where user_id = ${user.id}`;
    expect(rows).toEqual([{ status: 'pending' }]);
  });

  it('makes a new export once the last one is done, and fails one abandoned for 15 minutes', async () => {
    const user = await createUser(api.db);
    const [stuck] = await api.db.sql<{ id: string }[]>`
      insert into public.data_exports (user_id, requested_at) values (${user.id}, now() - interval '16 minutes') returning id`;

    const { asked: one } = await exportOf(user.token);
    const { asked: two } = await exportOf(user.token);

    expect(one.body.id).not.toBe(stuck!.id);
    expect(two.body.id).not.toBe(one.body.id);
    const list = await api.request('GET', '/me/exports', { token: user.token });
    expect(list.body.items.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      [two.body.id, 'ready'],
      [one.body.id, 'ready'],
      [stuck!.id, 'failed'],
    ]);
  });

  it("answers 404 for another person's export, and lists only one's own", async () => {
    const [owner, other] = [await createUser(api.db), await createUser(api.db)];
    const { asked } = await exportOf(owner.token);

    const peek = await api.request('GET', `/me/exports/${asked.body.id}`, { token: other.token });
    const list = await api.request('GET', '/me/exports', { token: other.token });

    expect(peek.status).toBe(404);
    expect(peek.body.code).toBe('export_not_found');
    expect(list.body.items).toEqual([]);
  });

  it('audits every export and every link: who, when, which export, and no health text', async () => {
    const person = await fillPerson(api.db.sql, { ring });
    const token = await signIn(api, person.id);

    const { asked } = await exportOf(token);

    const events = await api.db.sql<{ event: string; detail: Record<string, unknown> }[]>`
      select event, detail from audit.audit_logs
      where user_id = ${person.id} and event like 'data_export%' order by occurred_at`;
    expect(events.map((e) => e.event)).toEqual([
      'data_export_requested',
      'data_export_ready',
      'data_export_link_issued',
    ]);
    for (const e of events) expect(e.detail.export_id).toBe(asked.body.id);
    const [reads] = await api.db.sql`
      select tables, row_count from audit.data_reads where subject_user_id = ${person.id} and route = 'POST /me/exports'`;
    expect(reads?.tables).toEqual(expect.arrayContaining(['health.mood_logs', 'health.ai_chat_sessions']));
    const [clear] = await api.db.sql`
      select count(*)::int as n from audit.audit_logs a
      where a.detail::text like ${`%note of ${person.id}%`}`;
    expect(clear!.n).toBe(0);
  });

  it('says expired after its 7 days, with no link', async () => {
    const user = await createUser(api.db);
    const { asked, got } = await exportOf(user.token);
    expect(Date.parse(got.body.expires_at) - Date.parse(got.body.ready_at)).toBeCloseTo(7 * 86_400_000, -4);

    await api.db.sql`
      update public.data_exports set ready_at = ready_at - interval '8 days', expires_at = expires_at - interval '8 days',
        requested_at = requested_at - interval '8 days', started_at = started_at - interval '8 days'
      where id = ${asked.body.id}`;
    const later = await api.request('GET', `/me/exports/${asked.body.id}`, { token: user.token });

    expect(later.body).toMatchObject({ status: 'expired', download: null, size_bytes: null });
  });

  it('records a failed build when the bucket cannot be reached, and lets the person ask again', async () => {
    const user = await createUser(api.db);
    const endpoint = process.env.S3_ENDPOINT;
    const { exportTarget } = await import('../../functions/core/s3');
    const { buildExport } = await import('../../functions/exports/build');
    const [row] = await api.db.sql<
      { id: string }[]
    >`insert into public.data_exports (user_id) values (${user.id}) returning id`;

    const outcome = await buildExport(
      api.db.sql,
      { userId: user.id, exportId: row!.id, requestId: 'test' },
      await exportTarget({ BACKUP_BUCKET: 'eatsential-exports-test', S3_ENDPOINT: 'http://127.0.0.1:9' }),
    );

    expect(outcome).toBe('failed');
    const [after] = await api.db.sql`select status, failure from public.data_exports where id = ${row!.id}`;
    expect(after).toEqual({ status: 'failed', failure: 'storage_unavailable' });
    expect(process.env.S3_ENDPOINT).toBe(endpoint);
    expect((await exportOf(user.token)).got.body.status).toBe('ready');
  });
});
