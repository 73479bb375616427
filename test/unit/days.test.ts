import fc from 'fast-check';
import { addDays, daysBetween, epochDay, weekdayIndex, weekdays } from '../../functions/wellness/days';

// The arithmetic of functions/wellness/days.ts against the Date object it replaces.
const weekdayOf = (day: string) => weekdays[weekdayIndex(epochDay(day))];

const byDate = (day: string, n: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

const dayArb = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('calendar days', () => {
  it('add, count and name days as the Date object does', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: -800, max: 800 }), (day, n) => {
        expect(addDays(day, n)).toBe(byDate(day, n));
        expect(daysBetween(day, addDays(day, n))).toBe(n);
        expect(weekdayOf(day)).toBe(weekdays[(new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7]);
      }),
      { numRuns: 5000 },
    );
  });

  it('cross leap days, century years and the epoch', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-02-29', 1)).toBe('2024-03-01');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2000-02-28', 1)).toBe('2000-02-29');
    expect(addDays('1970-01-01', -1)).toBe('1969-12-31');
    expect(addDays('1999-12-31', 1)).toBe('2000-01-01');
    expect(epochDay('1970-01-01')).toBe(0);
    expect(weekdayOf('1969-12-31')).toBe('wednesday');
    expect(weekdayOf('2026-12-02')).toBe('wednesday');
  });
});
