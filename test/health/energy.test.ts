import {
  ageYears,
  caloriePlanOf,
  energyOf,
  localDate,
  type ProfileFacts,
} from '../../functions/health/energy';

const person = (p: Partial<ProfileFacts>): ProfileFacts => ({
  height_cm: 180,
  weight_kg: 80,
  date_of_birth: '1990-06-15',
  gender: 'male',
  activity_level: 'moderate',
  bmr_equation: null,
  ...p,
});

describe('age as of a day', () => {
  it.each([
    ['1990-06-15', '2026-06-14', 35],
    ['1990-06-15', '2026-06-15', 36],
    ['1990-06-15', '2026-12-01', 36],
    ['2000-02-29', '2027-02-28', 26],
    ['2000-02-29', '2027-03-01', 27],
  ])('born %s is on %s %i years old', (born, today, years) => {
    expect(ageYears(born, today)).toBe(years);
  });

  it("reads today in the person's own time zone", () => {
    const instant = new Date('2026-12-01T22:30:00Z');
    expect(localDate('UTC', instant)).toBe('2026-12-01');
    expect(localDate('Pacific/Kiritimati', instant)).toBe('2026-12-02');
    expect(localDate('America/Los_Angeles', new Date('2026-12-02T07:30:00Z'))).toBe('2026-12-01');
  });
});

describe('BMR and TDEE by Mifflin-St Jeor', () => {
  it('computes a man: 10 x 80 + 6.25 x 180 - 5 x 36 + 5 = 1750 kcal, x 1.55 = 2712.5', () => {
    const e = energyOf(person({}), '2026-12-01');
    expect(e).toMatchObject({ age_years: 36, bmr_kcal: 1750, tdee_kcal: 2713 });
    expect(e.energy).toMatchObject({ equation: 'mifflin_st_jeor_male', activity_factor: 1.55, missing: [] });
  });

  it('computes a woman: 10 x 62.5 + 6.25 x 165 - 5 x 29 - 161 = 1350.25 kcal, x 1.2 = 1620.3', () => {
    const e = energyOf(
      person({
        height_cm: 165,
        weight_kg: 62.5,
        date_of_birth: '1997-01-10',
        gender: 'female',
        activity_level: 'sedentary',
      }),
      '2026-12-01',
    );
    expect(e).toMatchObject({ age_years: 29, bmr_kcal: 1350, tdee_kcal: 1620 });
  });

  it.each([
    ['light', 1.375],
    ['active', 1.725],
    ['very_active', 1.9],
  ] as const)('uses the %s activity factor %d', (activity_level, factor) => {
    expect(energyOf(person({ activity_level }), '2026-12-01').tdee_kcal).toBe(Math.round(1750 * factor));
  });

  it.each(['other', 'prefer_not_to_say'] as const)(
    'makes no estimate for %s without a chosen equation, and says why',
    (gender) => {
      const e = energyOf(person({ gender }), '2026-12-01');
      expect(e).toMatchObject({ bmr_kcal: null, tdee_kcal: null });
      expect(e.energy.missing).toEqual(['gender_or_bmr_equation']);
      expect(e.energy.explanation).toMatch(/bmr_equation/);
    },
  );

  it('uses the equation the person chose: average = 10 x 80 + 6.25 x 180 - 5 x 36 - 78 = 1667', () => {
    const e = energyOf(person({ gender: 'other', bmr_equation: 'average' }), '2026-12-01');
    expect(e).toMatchObject({ bmr_kcal: 1667, tdee_kcal: Math.round(1667 * 1.55) });
    expect(e.energy).toMatchObject({ equation: 'mifflin_st_jeor_average', equation_chosen_by_user: true });
  });

  it('lists what is missing', () => {
    const e = energyOf(person({ weight_kg: null, activity_level: null }), '2026-12-01');
    expect(e).toMatchObject({ bmr_kcal: null, tdee_kcal: null });
    expect(e.energy.missing).toEqual(['weight_kg', 'activity_level']);
  });
});

describe("the day's calorie target under a fitness goal", () => {
  const goal = (g: Partial<Parameters<typeof caloriePlanOf>[0] & object>) => ({
    goal_type: 'weight_loss' as const,
    target_weight_kg: null,
    target_calories: null,
    target_date: null,
    ...g,
  });

  it('lowers a weight-loss day by 500 kcal without a dated target', () => {
    expect(caloriePlanOf(goal({}), person({}), '2026-12-01')).toMatchObject({
      tdee_kcal: 2713,
      adjustment_kcal: -500,
      daily_target_kcal: 2213,
      floor_applied: false,
    });
  });

  it('paces a dated target: 4 kg in 70 days at 7700 kcal/kg is 440 kcal a day', () => {
    const plan = caloriePlanOf(
      goal({ target_weight_kg: 76, target_date: '2027-02-09' }),
      person({}),
      '2026-12-01',
    );
    expect(plan).toMatchObject({ adjustment_kcal: -440, daily_target_kcal: 2273 });
    expect(plan.explanation).toContain('70 days');
  });

  it('caps a steep target at 1000 kcal a day', () => {
    const plan = caloriePlanOf(
      goal({ target_weight_kg: 60, target_date: '2027-01-01' }),
      person({}),
      '2026-12-01',
    );
    expect(plan.adjustment_kcal).toBe(-1000);
    expect(plan.explanation).toMatch(/capped/);
  });

  it('never goes below the safe floor (1200 kcal for the female equation)', () => {
    const small = person({
      height_cm: 155,
      weight_kg: 50,
      date_of_birth: '1970-01-01',
      gender: 'female',
      activity_level: 'sedentary',
    });
    // BMR 10 x 50 + 6.25 x 155 - 5 x 56 - 161 = 1027.75; TDEE 1233.3
    const plan = caloriePlanOf(goal({}), small, '2026-12-01');
    expect(plan).toMatchObject({
      tdee_kcal: 1233,
      daily_target_kcal: 1200,
      floor_kcal: 1200,
      floor_applied: true,
    });
    expect(plan.adjustment_kcal).toBe(-33);
  });

  it('adds no deficit when TDEE itself is under the floor', () => {
    const tiny = person({
      height_cm: 150,
      weight_kg: 40,
      date_of_birth: '1950-01-01',
      gender: 'female',
      activity_level: 'sedentary',
    });
    const plan = caloriePlanOf(goal({ target_calories: 900 }), tiny, '2026-12-01');
    expect(plan.daily_target_kcal).toBe(plan.tdee_kcal);
    expect(plan.floor_applied).toBe(true);
  });

  it.each([
    ['weight_gain', 500],
    ['muscle_gain', 300],
    ['maintenance', 0],
  ] as const)('adjusts a %s goal by %i kcal', (goal_type, change) => {
    expect(caloriePlanOf(goal({ goal_type }), person({}), '2026-12-01').adjustment_kcal).toBe(change);
  });

  it('has no target without a TDEE, and says what is missing', () => {
    const plan = caloriePlanOf(goal({}), person({ height_cm: null }), '2026-12-01');
    expect(plan).toMatchObject({ tdee_kcal: null, daily_target_kcal: null });
    expect(plan.explanation).toContain('height_cm');
  });
});
