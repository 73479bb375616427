import { patchMealBody } from '../../functions/catalogue/schemas';
import { putPreferencesBody } from '../../functions/health/schemas';
import { patchMentalGoalBody } from '../../functions/wellness/schemas';

// Columns of fixed decimals with a check that they are more than 0. A subnormal such as 5e-324
// is more than 0 and a multiple of 0.01 to zod, and rounds to 0 in the column, whose check then
// failed as an undeclared 422 (the fuzz suite found it on PATCH /admin/meals/{id}). The schemas
// ask for at least the column's smallest step instead: 400, naming the field.
const cases = [
  { name: 'a meal price', schema: patchMealBody, field: 'price', least: 0.01 },
  { name: 'a maximum distance', schema: putPreferencesBody, field: 'max_distance_km', least: 0.1 },
  { name: 'a mental goal target', schema: patchMentalGoalBody, field: 'target_value', least: 0.01 },
] as const;

describe.each(cases)('$name', ({ schema, field, least }) => {
  it.each([5e-324, 1e-300, 0])('refuses %p, which the column would store as 0', (value) => {
    const parsed = schema.safeParse({ [field]: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual([field]);
  });

  it('takes the smallest step of the column', () => {
    const parsed = schema.safeParse({ [field]: least });
    expect(parsed.success).toBe(true);
  });
});
