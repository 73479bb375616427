/**
 * `npm run bench:exports`: how long one person's export takes to build (read as them, every note
 * opened, FHIR bundle, upload to s3rver on loopback) for a person with a year of daily mood,
 * stress, sleep and mindfulness logs, each with a note, in a scratch database on the PostgreSQL of
 * DATABASE_URL. Prints figures; never fails on them. BENCH_DAYS sets the days of logs (365),
 * BENCH_RUNS the builds timed (7).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import postgres from 'postgres';
import S3rver from 's3rver';
import { asUser, createSql } from '../functions/core/db';
import { noteKeyring, seal } from '../functions/core/notes';
import { exportTarget } from '../functions/core/s3';
import { buildExport } from '../functions/exports/build';
import { collect } from '../functions/exports/document';
import { migrate } from '../sql/migrator';

process.env.LOG_LEVEL ??= 'SILENT';
process.env.NOTE_KEYRING ??= JSON.stringify({ current: '1', key_1: randomBytes(32).toString('hex') });
const days = Number(process.env.BENCH_DAYS ?? 365);
const runs = Number(process.env.BENCH_RUNS ?? 7);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `eatsential_bench_exports_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const sql = createSql({ url: url.toString() }, { max: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'eatsential-bench-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  try {
    await migrate(sql);
    const { port } = await server.run();
    const target = await exportTarget({
      BACKUP_BUCKET: 'eatsential-bench',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    await target.client.send(new CreateBucketCommand({ Bucket: 'eatsential-bench' }));
    const ring = await noteKeyring();

    const [user] = await sql<{ id: string }[]>`
      insert into public.users (username, email, password_hash, is_email_verified) values ('bench_exports', 'e@example.com', 'x', true) returning id`;
    const id = user!.id;
    const note = (table: string, day: number) =>
      seal(ring, `day ${day}: a note of about the length people write, a sentence or two`, {
        table,
        column: 'notes_encrypted',
        userId: id,
      });
    await sql`insert into public.user_consents (user_id, consent_type, policy_version) values (${id}, 'mental_health_tracking', '2026-11')`;
    const [profile] = await sql<
      { id: string }[]
    >`insert into public.health_profiles (user_id) values (${id}) returning id`;
    for (const allergen of ['Peanuts', 'Milk', 'Sesame']) {
      const n = seal(ring, 'hives within minutes', {
        table: 'public.user_allergies',
        column: 'notes_encrypted',
        userId: id,
      });
      await sql`insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity, notes_encrypted, notes_key_version)
                select ${id}, ${profile!.id}, a.id, 'MODERATE', ${n.ciphertext}, ${n.keyVersion} from health.allergens a where a.name = ${allergen}`;
    }
    const at = (day: number) => new Date(Date.now() - day * 86_400_000);
    const dayList = Array.from({ length: days }, (_, i) => i + 1);
    const sealed = (table: string) => dayList.map((d) => ({ d, n: note(table, d) }));
    for (const { d, n } of sealed('health.mood_logs'))
      await sql`insert into health.mood_logs (user_id, mood_score, mood_label, energy_level, notes_encrypted, notes_key_version, logged_at, created_at)
                values (${id}, 7, 'good', 5, ${n.ciphertext}, ${n.keyVersion}, ${at(d)}, ${at(d)})`;
    for (const { d, n } of sealed('health.stress_logs'))
      await sql`insert into health.stress_logs (user_id, stress_level, stress_label, triggers, notes_encrypted, notes_key_version, logged_at, created_at)
                values (${id}, 6, 'moderate', ${['work']}, ${n.ciphertext}, ${n.keyVersion}, ${at(d)}, ${at(d)})`;
    for (const { d, n } of sealed('health.sleep_logs'))
      await sql`insert into health.sleep_logs (user_id, sleep_date, bedtime, wake_time, quality_score, quality_label, notes_encrypted, notes_key_version, logged_at, created_at)
                values (${id}, ${at(d).toISOString().slice(0, 10)}, '23:30', '07:00', 6, 'good', ${n.ciphertext}, ${n.keyVersion}, ${at(d)}, ${at(d)})`;
    for (const { d, n } of sealed('health.mindfulness_sessions'))
      await sql`insert into health.mindfulness_sessions (user_id, practice, duration_minutes, notes_encrypted, notes_key_version, logged_at, created_at)
                values (${id}, 'breathing', 10, ${n.ciphertext}, ${n.keyVersion}, ${at(d)}, ${at(d)})`;
    await sql`vacuum analyze`;

    const reads: number[] = [];
    const builds: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const doc = await asUser(sql, id, (tx) => collect(tx, ring, { userId: id, exportId: 'bench' }));
      reads.push(performance.now() - t);
      bytes = Buffer.byteLength(JSON.stringify(doc.document));
      const [row] = await sql<
        { id: string }[]
      >`insert into public.data_exports (user_id) values (${id}) returning id`;
      t = performance.now();
      const outcome = await buildExport(sql, { userId: id, exportId: row!.id, requestId: 'bench' }, target);
      builds.push(performance.now() - t);
      if (outcome !== 'ready') throw new Error(`the export ended ${outcome}`);
    }
    const logRows = 4 * days;
    console.log(
      `one person, ${days} days of mood, stress, sleep and mindfulness logs (${logRows} rows, each with a note), 3 allergies`,
    );
    console.log(
      `  read and open every note (collect):  median ${median(reads).toFixed(0)} ms of ${runs} runs`,
    );
    console.log(
      `  whole build (read, JSON, SHA-256, upload to s3rver, mark ready): median ${median(builds).toFixed(0)} ms (min ${Math.min(...builds).toFixed(0)}, max ${Math.max(...builds).toFixed(0)})`,
    );
    console.log(`  document: ${(bytes / 1024).toFixed(0)} KiB`);
  } finally {
    await sql.end();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
