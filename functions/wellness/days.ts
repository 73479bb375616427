/** Calendar days as YYYY-MM-DD strings: no time zone can shift them. */

/** Days since 1970-01-01 of a YYYY-MM-DD day. */
export const epochDay = (day: string): number =>
  Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 86_400_000;

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The YYYY-MM-DD day `n` days after 1970-01-01 (H. Hinnant's civil_from_days), for years 100 to
 * 9999 (`epochDay` reads a year under 100 as 19xx, as Date.UTC does; the API takes 2000 to 2200).
 * Insights walk thousands of days a request: arithmetic, without a Date and an ISO string for
 * each, keeps that from being most of the request's time and garbage.
 */
export function dayOfEpoch(n: number): string {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${two(m)}-${two(d)}`;
}

export function addDays(day: string, n: number): string {
  return dayOfEpoch(epochDay(day) + n);
}

export function daysBetween(from: string, to: string): number {
  return epochDay(to) - epochDay(from);
}

export const weekdays = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** Monday 0 … Sunday 6 of a day number (1970-01-01 was a Thursday). */
export const weekdayIndex = (day: number): number => (((day + 3) % 7) + 7) % 7;

/** The last day of the calendar month of `day`. */
export function endOfMonth(day: string): string {
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  d.setUTCDate(0);
  return d.toISOString().slice(0, 10);
}

/** Today in an IANA time zone. */
export { localDate as localToday } from '../core/zones';
