import { randomUUID } from 'node:crypto';
import { asUser } from '../../functions/core/db';
import { useTestDatabase } from '../support';
import { allergenId, createMeal, createUser, type UserFixture } from './fixtures';

type MealName =
  | 'peanut sauce'
  | 'may contain peanuts'
  | 'plain rice'
  | 'rice, list incomplete'
  | 'no ingredients'
  | 'wheat bread';
type Allergy = readonly [allergen: string, severity: string];

const meals: Record<MealName, { complete: boolean; ingredients: ReadonlyArray<readonly [string, string]> }> =
  {
    'peanut sauce': {
      complete: true,
      ingredients: [
        ['Peanut sauce', 'contains'],
        ['Rice', 'contains'],
      ],
    },
    'may contain peanuts': {
      complete: true,
      ingredients: [
        ['Rice', 'contains'],
        ['Peanut sauce', 'may_contain'],
      ],
    },
    'plain rice': { complete: true, ingredients: [['Rice', 'contains']] },
    'rice, list incomplete': { complete: false, ingredients: [['Rice', 'contains']] },
    'no ingredients': { complete: true, ingredients: [] },
    'wheat bread': { complete: true, ingredients: [['Wheat flour', 'contains']] },
  };

const ingredientAllergen: Record<string, string | null> = {
  'Peanut sauce': 'Peanuts',
  Rice: null,
  'Wheat flour': 'Wheat',
};

const users: Record<string, readonly Allergy[]> = {
  'no allergies': [],
  'mild peanut': [['Peanuts', 'MILD']],
  'moderate peanut': [['Peanuts', 'MODERATE']],
  'severe peanut': [['Peanuts', 'SEVERE']],
  'life-threatening peanut': [['Peanuts', 'LIFE_THREATENING']],
  'severe gluten-cereal': [['Cereals containing gluten', 'SEVERE']],
  'mild wheat': [['Wheat', 'MILD']],
};

// The decision table: is the meal (column) safe for the user (row)?
// prettier-ignore
const expected: Record<string, Record<MealName, boolean>> = {
  //                          contains  may_contain  complete  incomplete  empty   member of group
  'no allergies':            { 'peanut sauce': true,  'may contain peanuts': true,  'plain rice': true, 'rice, list incomplete': true,  'no ingredients': true,  'wheat bread': true },
  'mild peanut':             { 'peanut sauce': false, 'may contain peanuts': true,  'plain rice': true, 'rice, list incomplete': true,  'no ingredients': true,  'wheat bread': true },
  'moderate peanut':         { 'peanut sauce': false, 'may contain peanuts': true,  'plain rice': true, 'rice, list incomplete': true,  'no ingredients': true,  'wheat bread': true },
  'severe peanut':           { 'peanut sauce': false, 'may contain peanuts': false, 'plain rice': true, 'rice, list incomplete': false, 'no ingredients': false, 'wheat bread': true },
  'life-threatening peanut': { 'peanut sauce': false, 'may contain peanuts': false, 'plain rice': true, 'rice, list incomplete': false, 'no ingredients': false, 'wheat bread': true },
  'severe gluten-cereal':    { 'peanut sauce': true,  'may contain peanuts': true,  'plain rice': true, 'rice, list incomplete': false, 'no ingredients': false, 'wheat bread': false },
  'mild wheat':              { 'peanut sauce': true,  'may contain peanuts': true,  'plain rice': true, 'rice, list incomplete': true,  'no ingredients': true,  'wheat bread': false },
};

const cases = Object.entries(expected).flatMap(([user, row]) =>
  Object.entries(row).map(([meal, safe]) => ({ user, meal: meal as MealName, safe })),
);

describe('is_meal_safe_for_user', () => {
  const db = useTestDatabase();
  const mealIds = new Map<string, string>();
  const userOf = new Map<string, UserFixture>();

  beforeAll(async () => {
    const ingredientIds = new Map<string, string>();
    for (const [name, allergen] of Object.entries(ingredientAllergen)) {
      const [row] = await db.sql`
        insert into public.ingredients (name, allergen_id)
        values (${name}, ${allergen ? await allergenId(db.sql, allergen) : null}) returning id`;
      ingredientIds.set(name, row?.id);
    }
    const { restaurantId } = await createMeal(db.sql);
    for (const [name, meal] of Object.entries(meals)) {
      const { mealId } = await createMeal(db.sql, { restaurantId, ingredientsComplete: meal.complete });
      for (const [ingredient, presence] of meal.ingredients) {
        await db.sql`insert into public.meal_ingredients (meal_id, ingredient_id, presence)
                     values (${mealId}, ${ingredientIds.get(ingredient) as string}, ${presence})`;
      }
      mealIds.set(name, mealId);
    }
    for (const [name, allergies] of Object.entries(users)) {
      const user = await createUser(db.sql);
      for (const [allergen, severity] of allergies) {
        await db.sql`insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity)
                     values (${user.id}, ${user.profileId}, ${await allergenId(db.sql, allergen)}, ${severity})`;
      }
      userOf.set(name, user);
    }
  });

  const check = (asWho: UserFixture, forWhom: string, mealId: string) =>
    asUser(db.sql, asWho.id, async (tx) => {
      const [row] = await tx`select public.is_meal_safe_for_user(${forWhom}, ${mealId}) as safe`;
      return row?.safe as boolean;
    });

  it.each(cases)('for a user with $user allergy, "$meal" is safe: $safe', async ({ user, meal, safe }) => {
    const me = userOf.get(user) as UserFixture;

    expect(await check(me, me.id, mealIds.get(meal) as string)).toBe(safe);
  });

  it("is false when asked about another user's allergies, which row-level security hides", async () => {
    const me = userOf.get('no allergies') as UserFixture;
    const other = userOf.get('severe peanut') as UserFixture; // plain rice is safe for both

    expect(await check(me, other.id, mealIds.get('plain rice') as string)).toBe(false);
    expect(await check(other, other.id, mealIds.get('plain rice') as string)).toBe(true);
  });

  it('is false for a meal that does not exist', async () => {
    const me = userOf.get('no allergies') as UserFixture;

    expect(await check(me, me.id, randomUUID())).toBe(false);
  });

  it('follows an allergen group down any number of levels', async () => {
    const wheat = await allergenId(db.sql, 'Wheat');
    const [spelt] = await db.sql<{ id: string }[]>`
      insert into health.allergens (name, category, parent_id) values ('Spelt', 'Food', ${wheat}) returning id`;
    const [flour] = await db.sql<{ id: string }[]>`
      insert into public.ingredients (name, allergen_id) values ('spelt flour', ${spelt?.id as string}) returning id`;
    const { mealId } = await createMeal(db.sql, { ingredientsComplete: true });
    await db.sql`insert into public.meal_ingredients (meal_id, ingredient_id) values (${mealId}, ${flour?.id as string})`;
    const coeliac = await createUser(db.sql);
    await db.sql`insert into public.user_allergies (user_id, health_profile_id, allergen_id, severity)
                 values (${coeliac.id}, ${coeliac.profileId}, ${await allergenId(db.sql, 'Cereals containing gluten')}, 'LIFE_THREATENING')`;

    expect(await check(coeliac, coeliac.id, mealId)).toBe(false);
    expect(
      await check(
        userOf.get('no allergies') as UserFixture,
        (userOf.get('no allergies') as UserFixture).id,
        mealId,
      ),
    ).toBe(true);
  });
});
