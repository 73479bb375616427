import type { Tx } from '../core/db';
import { NotFoundError, UnprocessableError } from '../core/errors';
import { sealNote } from '../core/notes';
import { Reply, type Operations } from '../core/operation';
import { requireMatch } from '../core/preconditions';
import { localDate } from './energy';
import * as q from './queries';
import * as v from './views';

const notFound = (what: string) =>
  new NotFoundError(`No such ${what} of yours`, { code: `${what.replace(/ /g, '_')}_not_found` });

const unknown = (code: string, field: string, detail: string) =>
  new UnprocessableError(detail, { code, errors: [{ path: field, message: detail }] });

/** Today in the caller's time zone, and their profile: what every computed figure depends on. */
async function today(tx: Tx, userId: string) {
  const { timeZone, profile } = await q.profile(tx, userId);
  return { today: localDate(timeZone), profile };
}

async function allergyOf(tx: Tx, id: string, userId: string) {
  const [row] = await q.allergies(tx, id);
  if (!row) throw notFound('allergy');
  return v.allergyView(row, userId);
}

async function conditionOf(tx: Tx, id: string, userId: string) {
  const [row] = await q.userMedicalConditions(tx, id);
  if (!row) throw notFound('medical condition');
  return v.medicalConditionView(row, userId);
}

async function goalOf(tx: Tx, id: string, userId: string) {
  const [[row], t] = await Promise.all([q.fitnessGoals(tx, id), today(tx, userId)]);
  if (!row) throw notFound('fitness goal');
  return v.fitnessGoalView(row, t.profile, t.today);
}

export const operations: Operations<'health'> = {
  // ---- reference catalogues ----------------------------------------------------------------
  async listAllergens({ tx }) {
    return { items: await q.allergens(tx) };
  },
  async listDietaryRestrictionCatalogue({ tx }) {
    return { items: await q.dietaryRestrictions(tx) };
  },
  async listMedicalConditionCatalogue({ tx }) {
    return { items: await q.medicalConditions(tx) };
  },

  // ---- health profile ----------------------------------------------------------------------
  async getHealthProfile({ tx, caller }) {
    const t = await today(tx, caller.userId);
    if (!t.profile)
      throw new NotFoundError('You have no health profile yet; create it with PUT', {
        code: 'health_profile_not_found',
      });
    return new Reply(200, v.profileView(t.profile, t.today), { etag: v.profileTag(t.profile) });
  },
  async putHealthProfile({ tx, caller, body, request }) {
    const { timeZone, profile } = await q.profile(tx, caller.userId, { lock: true });
    requireMatch(request.ifMatch, profile ? v.profileTag(profile) : null);
    const row = await q.upsertProfile(tx, caller.userId, body);
    return new Reply(200, v.profileView(row, localDate(timeZone)), { etag: v.profileTag(row) });
  },

  // ---- allergies ---------------------------------------------------------------------------
  async listMyAllergies({ tx, caller }) {
    const rows = await q.allergies(tx);
    return { items: await Promise.all(rows.map((r) => v.allergyView(r, caller.userId))) };
  },
  async addAllergy({ tx, caller, body }) {
    const userId = caller.userId;
    const [profileId, notes] = await Promise.all([
      q.profileId(tx, userId),
      sealNote(body.reaction_notes, v.noteContext('public.user_allergies', userId)),
    ]);
    const id = await q.insertAllergy(tx, {
      userId,
      profileId,
      allergenId: body.allergen_id,
      severity: body.severity,
      notes,
      diagnosedDate: body.diagnosed_date,
    });
    if (!id)
      throw unknown(
        'unknown_allergen',
        'body.allergen_id',
        'No such allergen (see GET /reference/allergens)',
      );
    return await allergyOf(tx, id, userId);
  },
  async updateAllergy({ tx, caller, params, body }) {
    const notes =
      body.reaction_notes === undefined
        ? undefined
        : await sealNote(body.reaction_notes, v.noteContext('public.user_allergies', caller.userId));
    const changed = await q.updateAllergy(tx, params.id, {
      severity: body.severity,
      notes,
      diagnosedDate: body.diagnosed_date,
    });
    if (!changed) throw notFound('allergy');
    return allergyOf(tx, params.id, caller.userId);
  },
  async removeAllergy({ tx, params }) {
    if (!(await q.deleteAllergy(tx, params.id))) throw notFound('allergy');
  },

  // ---- dietary restrictions ----------------------------------------------------------------
  async listMyDietaryRestrictions({ tx }) {
    return { items: (await q.userDietaryRestrictions(tx)).map(v.dietaryRestrictionView) };
  },
  async addDietaryRestriction({ tx, caller, body }) {
    const profileId = await q.profileId(tx, caller.userId);
    const id = await q.insertDietaryRestriction(tx, {
      userId: caller.userId,
      profileId,
      restrictionId: body.restriction_id,
    });
    if (!id)
      throw unknown(
        'unknown_dietary_restriction',
        'body.restriction_id',
        'No such dietary restriction (see GET /reference/dietary-restrictions)',
      );
    const [row] = await q.userDietaryRestrictions(tx, id);
    return v.dietaryRestrictionView(row as q.DietaryRestrictionRow);
  },
  async removeDietaryRestriction({ tx, params }) {
    if (!(await q.deleteDietaryRestriction(tx, params.id))) throw notFound('dietary restriction');
  },

  // ---- medical conditions ------------------------------------------------------------------
  async listMyMedicalConditions({ tx, caller }) {
    const rows = await q.userMedicalConditions(tx);
    return { items: await Promise.all(rows.map((r) => v.medicalConditionView(r, caller.userId))) };
  },
  async addMedicalCondition({ tx, caller, body }) {
    const userId = caller.userId;
    const [profileId, notes] = await Promise.all([
      q.profileId(tx, userId),
      sealNote(body.notes, v.noteContext('public.user_medical_conditions', userId)),
    ]);
    const id = await q.insertMedicalCondition(tx, {
      userId,
      profileId,
      conditionId: body.condition_id,
      diagnosedDate: body.diagnosed_date,
      notes,
    });
    if (!id)
      throw unknown(
        'unknown_medical_condition',
        'body.condition_id',
        'No such medical condition (see GET /reference/medical-conditions)',
      );
    return await conditionOf(tx, id, userId);
  },
  async updateMedicalCondition({ tx, caller, params, body }) {
    const notes =
      body.notes === undefined
        ? undefined
        : await sealNote(body.notes, v.noteContext('public.user_medical_conditions', caller.userId));
    if (!(await q.updateMedicalCondition(tx, params.id, { notes, diagnosedDate: body.diagnosed_date })))
      throw notFound('medical condition');
    return conditionOf(tx, params.id, caller.userId);
  },
  async removeMedicalCondition({ tx, params }) {
    if (!(await q.deleteMedicalCondition(tx, params.id))) throw notFound('medical condition');
  },

  // ---- fitness goals -----------------------------------------------------------------------
  async listFitnessGoals({ tx, caller }) {
    const [rows, t] = await Promise.all([q.fitnessGoals(tx), today(tx, caller.userId)]);
    return { items: rows.map((r) => v.fitnessGoalView(r, t.profile, t.today)) };
  },
  async addFitnessGoal({ tx, caller, body }) {
    const profileId = await q.profileId(tx, caller.userId);
    const id = await q.insertFitnessGoal(tx, { ...body, userId: caller.userId, profileId });
    return await goalOf(tx, id, caller.userId);
  },
  async updateFitnessGoal({ tx, caller, params, body }) {
    if (!(await q.updateFitnessGoal(tx, params.id, body))) throw notFound('fitness goal');
    return goalOf(tx, params.id, caller.userId);
  },
  async removeFitnessGoal({ tx, params }) {
    if (!(await q.deleteFitnessGoal(tx, params.id))) throw notFound('fitness goal');
  },

  // ---- preferences -------------------------------------------------------------------------
  async getPreferences({ tx }) {
    const row = await q.preferences(tx);
    return new Reply(200, v.preferencesView(row), row ? { etag: v.preferencesTag(row) } : {});
  },
  async putPreferences({ tx, caller, body, request }) {
    const current = await q.preferences(tx, { lock: true });
    requireMatch(request.ifMatch, current ? v.preferencesTag(current) : null);
    const row = await q.upsertPreferences(tx, caller.userId, {
      cuisines: body.cuisines,
      price_range: body.price_range,
      max_distance_km: body.max_distance_km,
      notify_email: body.notifications.email,
      notify_push: body.notifications.push,
      notify_meal_reminders: body.notifications.meal_reminders,
      notify_wellness_check_ins: body.notifications.wellness_check_ins,
    });
    return new Reply(200, v.preferencesView(row), { etag: v.preferencesTag(row) });
  },

  // ---- the whole picture -------------------------------------------------------------------
  async getHealthOverview({ tx, caller }) {
    const userId = caller.userId;
    // One transaction, the statements pipelined on its connection.
    const [t, allergies, diets, conditions, goals, preferences] = await Promise.all([
      today(tx, userId),
      q.allergies(tx),
      q.userDietaryRestrictions(tx),
      q.userMedicalConditions(tx),
      q.fitnessGoals(tx),
      q.preferences(tx),
    ]);
    return {
      profile: t.profile ? v.profileView(t.profile, t.today) : null,
      allergies: await Promise.all(allergies.map((r) => v.allergyView(r, userId))),
      dietary_restrictions: diets.map(v.dietaryRestrictionView),
      medical_conditions: await Promise.all(conditions.map((r) => v.medicalConditionView(r, userId))),
      fitness_goals: goals.map((r) => v.fitnessGoalView(r, t.profile, t.today)),
      preferences: v.preferencesView(preferences),
      daily_calorie_target: v.dailyCalorieTarget(goals, t.profile, t.today),
    };
  },
};
