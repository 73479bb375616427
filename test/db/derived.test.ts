import { asUser } from '../../functions/core/db';
import { useTestDatabase } from '../support';
import { createUser, giveConsent } from './fixtures';

/** Whole years between a birth date and a day, both 'YYYY-MM-DD'. */
function ageOn(birth: string, day: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = day.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** The same day `years` earlier, moved `days` on (UTC calendar arithmetic). */
function yearsBefore(day: string, years: number, days = 0): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

describe('derived values', () => {
  const db = useTestDatabase();
  let today = '';

  beforeAll(async () => {
    const [row] = await db.sql<{ today: string }[]>`select current_date::text as today`;
    today = row?.today ?? '';
  });

  describe('basal metabolic rate (Mifflin-St Jeor)', () => {
    const bmrOf = async (gender: string, weightKg: number, heightCm: number, birth: string) => {
      const user = await createUser(db.sql, { profile: false });
      await db.sql`
        insert into public.health_profiles (user_id, gender, weight_kg, height_cm, date_of_birth)
        values (${user.id}, ${gender}, ${weightKg}, ${heightCm}, ${birth})`;
      const [row] = await db.sql<{ fn: number | null; view: number | null }[]>`
        select hp.bmr_calories as fn, v.bmr_calories as view
        from public.health_profiles hp
        join public.health_profiles_with_bmr v on v.id = hp.id
        where hp.user_id = ${user.id}`;
      return row;
    };

    it('is 10 kg + 6.25 cm - 5 years + 5 for a man, with his age as of today', async () => {
      const birth = yearsBefore(today, 30, 1); // 30 tomorrow: 29 today
      const expected = Math.round(10 * 82.5 + 6.25 * 181 - 5 * ageOn(birth, today) + 5);

      const bmr = await bmrOf('male', 82.5, 181, birth);

      expect(ageOn(birth, today)).toBe(29);
      expect(bmr).toEqual({ fn: expected, view: expected });
    });

    it('is 10 kg + 6.25 cm - 5 years - 161 for a woman, with her age as of today', async () => {
      const birth = yearsBefore(today, 41); // 41 today
      const expected = Math.round(10 * 61.2 + 6.25 * 167 - 5 * ageOn(birth, today) - 161);

      const bmr = await bmrOf('female', 61.2, 167, birth);

      expect(ageOn(birth, today)).toBe(41);
      expect(bmr).toEqual({ fn: expected, view: expected });
    });

    it('is unknown for other genders', async () => {
      expect(await bmrOf('other', 70, 170, '1990-01-01')).toEqual({ fn: null, view: null });
    });

    it('is computed within row-level security for the signed-in user', async () => {
      const user = await createUser(db.sql, { profile: false });
      const other = await createUser(db.sql);
      await db.sql`insert into public.health_profiles (user_id, gender, weight_kg, height_cm, date_of_birth)
                   values (${user.id}, 'male', 70, 175, '1990-01-01')`;

      const rows = await asUser(
        db.sql,
        user.id,
        (tx) => tx`select user_id, bmr_calories from public.health_profiles_with_bmr`,
      );

      expect(rows.map((r) => r.user_id)).toEqual([user.id]);
      expect(rows.map((r) => r.user_id)).not.toContain(other.id);
    });
  });

  describe('sleep duration', () => {
    it.each([
      ['23:30', '07:00', 7.5],
      ['22:15', '06:30', 8.25],
      ['00:30', '08:00', 7.5],
      ['13:00', '14:30', 1.5],
      ['07:00', '06:59', 23.98],
    ])('from %s to %s is %s hours', async (bedtime, wakeTime, hours) => {
      const user = await createUser(db.sql);

      const [row] = await db.sql<{ duration_hours: string }[]>`
        insert into health.sleep_logs (user_id, sleep_date, bedtime, wake_time, quality_score, quality_label)
        values (${user.id}, '2026-03-01', ${bedtime}, ${wakeTime}, 7, 'good')
        returning duration_hours`;

      expect(Number(row?.duration_hours)).toBe(hours);
    });
  });

  describe("local_date of mood and stress logs is the user's day", () => {
    it.each([
      ['UTC', '2026-01-01T12:00:00Z', '2026-01-01'],
      ['Pacific/Kiritimati', '2026-01-01T12:00:00Z', '2026-01-02'],
      ['America/Los_Angeles', '2026-01-01T05:00:00Z', '2025-12-31'],
      ['Asia/Kolkata', '2026-06-30T18:29:59Z', '2026-06-30'],
      ['Asia/Kolkata', '2026-06-30T18:30:00Z', '2026-07-01'],
    ])('in %s, %s is %s', async (timeZone, loggedAt, day) => {
      const user = await createUser(db.sql, { timeZone });
      await giveConsent(db.sql, user.id, 'mental_health_tracking');

      const days = await asUser(db.sql, user.id, async (tx) => {
        await tx`set local time zone 'Asia/Tokyo'`; // the session's zone does not matter
        const [mood] = await tx`insert into health.mood_logs (user_id, mood_score, mood_label, logged_at)
                                values (${user.id}, 6, 'good', ${loggedAt}) returning local_date::text`;
        const [stress] =
          await tx`insert into health.stress_logs (user_id, stress_level, stress_label, logged_at)
                                  values (${user.id}, 3, 'low', ${loggedAt}) returning local_date::text`;
        return [mood?.local_date, stress?.local_date];
      });

      expect(days).toEqual([day, day]);
    });

    it('follows a changed logged_at, and stays when the user later moves time zone', async () => {
      const user = await createUser(db.sql, { timeZone: 'Europe/Berlin' });
      const [log] = await db.sql`insert into health.mood_logs (user_id, mood_score, mood_label, logged_at)
                                 values (${user.id}, 6, 'good', '2026-05-01T22:30:00Z') returning id, local_date::text`;
      expect(log?.local_date).toBe('2026-05-02');

      await db.sql`update public.users set time_zone = 'America/New_York' where id = ${user.id}`;
      await db.sql`update health.mood_logs set mood_score = 7 where id = ${log?.id}`;
      const [kept] = await db.sql`select local_date::text from health.mood_logs where id = ${log?.id}`;
      await db.sql`update health.mood_logs set logged_at = '2026-05-02T03:00:00Z' where id = ${log?.id}`;
      const [moved] = await db.sql`select local_date::text from health.mood_logs where id = ${log?.id}`;

      expect(kept?.local_date).toBe('2026-05-02');
      expect(moved?.local_date).toBe('2026-05-01');
    });
  });
});
