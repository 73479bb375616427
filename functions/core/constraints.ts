/**
 * What a named database constraint means to a client: its status, a stable code and the request
 * field it is about. The database stays the authority on its rules (a trigger knows "today", a
 * unique index knows about the other phone); this table only explains its refusals.
 */
export interface ConstraintProblem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly field?: string;
}

export const constraintProblems: Readonly<Record<string, ConstraintProblem>> = {
  health_profiles_email_verified_check: {
    status: 403,
    code: 'email_not_verified',
    detail: 'Verify your email address before adding health data',
  },
  chk_age_minimum: {
    status: 422,
    code: 'too_young',
    detail: 'Eatsential is for people aged 13 and over',
    field: 'body.date_of_birth',
  },
  chk_height_range: {
    status: 422,
    code: 'height_out_of_range',
    detail: 'Height must be between 50 and 300 cm',
    field: 'body.height_cm',
  },
  chk_weight_range: {
    status: 422,
    code: 'weight_out_of_range',
    detail: 'Weight must be between 20 and 500 kg',
    field: 'body.weight_kg',
  },
  uq_user_allergen: {
    status: 409,
    code: 'allergy_exists',
    detail: 'This allergy is already on your profile; change it instead',
    field: 'body.allergen_id',
  },
  user_dietary_restrictions_user_id_restriction_id_key: {
    status: 409,
    code: 'dietary_restriction_exists',
    detail: 'This dietary restriction is already on your profile',
    field: 'body.restriction_id',
  },
  user_medical_conditions_user_id_condition_id_key: {
    status: 409,
    code: 'medical_condition_exists',
    detail: 'This medical condition is already on your profile; change it instead',
    field: 'body.condition_id',
  },
};
