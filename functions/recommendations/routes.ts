import type { Route } from '../core/route';
import * as s from './schemas';

/** The recommendations domain's slice of the route table: safe meals nearby, explained, and feedback. */
export const recommendationsRoutes = [
  {
    method: 'GET',
    path: '/me/recommendations',
    domain: 'recommendations',
    access: 'user',
    operationId: 'listRecommendations',
    summary:
      'Meals near me that pass my allergies, diets, conditions and distance, ranked with their reasons, and what was left out and why; each shown meal is stored',
    status: 200,
    schemas: { query: s.recommendationsQuery, response: s.recommendations },
  },
  {
    method: 'POST',
    path: '/me/recommendations/{id}/accept',
    domain: 'recommendations',
    access: 'user',
    operationId: 'acceptRecommendation',
    summary: 'Take a recommendation (answering the same again is a no-op)',
    status: 200,
    schemas: { params: s.idParams, response: s.recommendation },
    problems: { 404: ['recommendation_not_found'], 409: ['recommendation_already_answered'] },
  },
  {
    method: 'POST',
    path: '/me/recommendations/{id}/dismiss',
    domain: 'recommendations',
    access: 'user',
    operationId: 'dismissRecommendation',
    summary: 'Dismiss a recommendation: the meal rests for 14 days (answering the same again is a no-op)',
    status: 200,
    schemas: { params: s.idParams, response: s.recommendation },
    problems: { 404: ['recommendation_not_found'], 409: ['recommendation_already_answered'] },
  },
  {
    method: 'POST',
    path: '/me/feedback',
    domain: 'recommendations',
    access: 'user',
    operationId: 'giveFeedback',
    summary:
      'Rate a meal or a recommendation 1-5, with an optional comment (stored only as ciphertext); a reaction hides the meal from me for good and flags it for catalogue review',
    status: 201,
    sensitive: true,
    idempotent: true,
    schemas: { body: s.postFeedbackBody, response: s.feedback },
    problems: { 422: ['unknown_meal', 'unknown_recommendation', 'recommendation_meal_mismatch'] },
  },
] as const satisfies readonly Route<'recommendations'>[];
