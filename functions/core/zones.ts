/**
 * Calendar dates and hours in a person's IANA time zone. Making an Intl.DateTimeFormat costs about
 * half a millisecond (it loads the zone's rules); one per zone and purpose is kept and reused.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function format(kind: 'date' | 'hour', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let f = formats.get(key);
  if (!f) {
    f =
      kind === 'date'
        ? new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
        : new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
    // Zones are validated names (a few hundred exist), but keep the cache bounded all the same.
    if (formats.size >= 1000) formats.clear();
    formats.set(key, f);
  }
  return f;
}

/** The date (YYYY-MM-DD) it is in `timeZone` at `now`. */
export const localDate = (timeZone: string, now: Date = new Date()): string =>
  format('date', timeZone).format(now);

/** The hour (0-23) it is in `timeZone` at `now`. */
export const localHour = (timeZone: string, now: Date = new Date()): number =>
  Number(format('hour', timeZone).format(now));
