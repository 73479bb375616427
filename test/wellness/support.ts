import { randomUUID } from 'node:crypto';
import { createUser, type TestApi } from '../support';

/** A verified person who has given the mental_health_tracking consent. */
export async function consentingUser(api: TestApi, options: { timeZone?: string } = {}) {
  const u = await createUser(api.db);
  if (options.timeZone)
    await api.db.sql`update public.users set time_zone = ${options.timeZone} where id = ${u.id}`;
  const r = await api.request('PUT', '/me/consents/mental_health_tracking', {
    token: u.token,
    body: { policy_version: '2026-12' },
  });
  expect(r.status).toBe(200);
  return u;
}

export const newId = () => randomUUID();

/** The local day `offset` days from today in a time zone. */
export function localDay(timeZone: string, offset = 0): string {
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}
