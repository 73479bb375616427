/**
 * `npm run bench -- mail-timing`: does the answer time of `POST /auth/password-reset/request` and
 * `POST /auth/resend-verification` tell whether an address has an account? Alternates requests for
 * a registered address and an unknown one through the local server (the real handler chain) on a
 * fresh database of the PostgreSQL named by DATABASE_URL, and prints the median and 90th
 * percentile of each. Between requests (outside the timing) the outbox is drained and the
 * one-a-minute throttle is lifted, so every registered request queues a real email. Prints
 * figures; never fails on them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { migrate } from '../sql/migrator';

const samples = Number(process.env.BENCH_SAMPLES ?? 200);

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

export async function benchMailTiming(base: string): Promise<void> {
  const name = `eatsential_bench_${process.env.BENCH_NAME ?? 'mail'}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const owner = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  try {
    await migrate(owner);
    process.env.DATABASE_URL = url.toString();
    process.env.JWT_SECRET ??= randomBytes(32).toString('hex');
    process.env.NOTE_KEYRING = JSON.stringify({ current: '1', key_1: randomBytes(32).toString('hex') });
    process.env.MAIL_DIR = mkdtempSync(join(tmpdir(), 'eatsential-bench-mail-'));
    process.env.DB_POOL_MAX ??= '4';
    const { hashPassword } = await import('../functions/core/passwords');
    const { logger } = await import('../functions/core/log');
    logger.setLogLevel('SILENT');
    const hash = await hashPassword('bench password for timing');
    await owner`insert into public.users (username, email, password_hash, is_email_verified)
                values ('bench_verified', 'verified@bench.example', ${hash}, true),
                       ('bench_waiting', 'waiting@bench.example', ${hash}, false)`;

    const { createApiServer } = await import('../functions/local/server');
    const { resetDatabase } = await import('../functions/core/db');
    const server = createApiServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = async (path: string, email: string) => {
      const started = performance.now();
      const res = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      await res.text();
      const ms = performance.now() - started;
      if (res.status !== 202) throw new Error(`${path} answered ${res.status}`);
      return ms;
    };

    const cases = [
      { route: '/auth/password-reset/request', registered: 'verified@bench.example' },
      { route: '/auth/resend-verification', registered: 'waiting@bench.example' },
    ];
    console.log(
      `Answer time by address, ${samples} requests each, alternated (registered, unknown), after 20 warm-up pairs`,
    );
    console.log('route                          address      median ms   p90 ms');
    for (const c of cases) {
      const times = { registered: [] as number[], unknown: [] as number[] };
      for (let i = -20; i < samples; i += 1) {
        const unknown = `nobody${i + 20}@bench.example`;
        const order =
          i % 2 === 0 ? (['registered', 'unknown'] as const) : (['unknown', 'registered'] as const);
        for (const kind of order) {
          const ms = await post(c.route, kind === 'registered' ? c.registered : unknown);
          if (i >= 0) times[kind].push(ms);
          await server.deliverMail();
          await owner`update auth.verification_tokens set created_at = created_at - interval '2 minutes'`;
        }
      }
      for (const kind of ['registered', 'unknown'] as const) {
        const sorted = [...times[kind]].sort((a, b) => a - b);
        console.log(
          `${c.route.padEnd(30)} ${kind.padEnd(12)} ${quantile(sorted, 0.5).toFixed(2).padStart(9)} ${quantile(sorted, 0.9).toFixed(2).padStart(8)}`,
        );
      }
    }
    await server.stopMail();
    await new Promise((resolve) => server.close(resolve));
    await resetDatabase();
  } finally {
    await owner.end();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
