// `npm run openapi:lint`: the OpenAPI document against Spectral's OpenAPI rules and the OWASP API
// Security Top 10 (2023) ruleset. Every rule changed or switched off here says why.
import { oas } from '@stoplight/spectral-rulesets';
import owasp from '@stoplight/spectral-owasp-ruleset';

const o = owasp.rules;

/** What a client sends: request bodies and parameters (refs resolved). */
const sent = (type) => [
  `$.paths[*][*].requestBody..[?(@ && (@.type === '${type}' || (@.type && @.type[0] === '${type}')))]`,
  `$.paths[*][*].parameters[?(@.schema && @.schema.type === '${type}')].schema`,
];

/**
 * Request strings that are free by nature, each with why it has no pattern or format (the rule
 * still bounds their length): any new free-text field must be added here with its reason.
 */
const freeText = {
  // Passwords: NIST SP 800-63B, every character allowed; 12 to 128, and common ones refused.
  'RegisterBody/properties/password': 'password',
  'LoginBody/properties/password': 'password',
  'PasswordResetConfirmBody/properties/new_password': 'password',
  'ChangePasswordBody/properties/current_password': 'password',
  'ChangePasswordBody/properties/new_password': 'password',
  // Single-use and refresh tokens: opaque, compared only by their keyed hash.
  'VerifyEmailBody/properties/token': 'opaque token',
  'PasswordResetConfirmBody/properties/token': 'opaque token',
  'RefreshBody/properties/refresh_token': 'opaque token',
  // IANA time zones: checked against the runtime's zone database, not a pattern.
  'RegisterBody/properties/time_zone': 'time zone',
  'UpdateMeBody/properties/time_zone': 'time zone',
  // A person's own health notes: any text within the limit, stored only as ciphertext.
  'NewAllergyBody/properties/reaction_notes/anyOf/0': 'health note',
  'AllergyChangeBody/properties/reaction_notes/anyOf/0': 'health note',
  'NewMedicalConditionBody/properties/notes/anyOf/0': 'health note',
  'MedicalConditionChangeBody/properties/notes/anyOf/0': 'health note',
  // A person's own words about their mind (wellness logs, goals, chat sessions): any text within
  // the limit, stored only as ciphertext.
  'CreateMoodLogBody/properties/notes/anyOf/0': 'wellness note',
  'UpdateMoodLogBody/properties/notes/anyOf/0': 'wellness note',
  'CreateStressLogBody/properties/triggers_other/anyOf/0': 'wellness note',
  'CreateStressLogBody/properties/coping_other/anyOf/0': 'wellness note',
  'CreateStressLogBody/properties/notes/anyOf/0': 'wellness note',
  'UpdateStressLogBody/properties/triggers_other/anyOf/0': 'wellness note',
  'UpdateStressLogBody/properties/coping_other/anyOf/0': 'wellness note',
  'UpdateStressLogBody/properties/notes/anyOf/0': 'wellness note',
  'CreateSleepLogBody/properties/notes/anyOf/0': 'wellness note',
  'UpdateSleepLogBody/properties/notes/anyOf/0': 'wellness note',
  'CreateMindfulnessSessionBody/properties/notes/anyOf/0': 'wellness note',
  'CreateMentalGoalBody/properties/notes/anyOf/0': 'wellness note',
  'UpdateMentalGoalBody/properties/notes/anyOf/0': 'wellness note',
  'StartChatSessionBody/properties/session_title/anyOf/0': 'wellness note',
  'StartChatSessionBody/properties/context_summary/anyOf/0': 'wellness note',
  'RecordChatUsageBody/properties/context_summary/anyOf/0': 'wellness note',
  // A comment on a recommended meal: the person's own words, any text within the limit.
  'GiveFeedbackBody/properties/comment/anyOf/0': 'feedback comment',
  // Catalogue prose, written by administrators: names, addresses and places (any script, any
  // punctuation), cuisines and menu categories (the catalogue's own labels, not a fixed set),
  // descriptions.
  'CreateRestaurantBody/properties/name': 'catalogue text',
  'CreateRestaurantBody/properties/cuisine_type/anyOf/0': 'catalogue text',
  'CreateRestaurantBody/properties/address': 'catalogue text',
  'CreateRestaurantBody/properties/city': 'catalogue text',
  'CreateRestaurantBody/properties/state': 'catalogue text',
  'UpdateRestaurantBody/properties/name': 'catalogue text',
  'UpdateRestaurantBody/properties/cuisine_type/anyOf/0': 'catalogue text',
  'UpdateRestaurantBody/properties/address': 'catalogue text',
  'UpdateRestaurantBody/properties/city': 'catalogue text',
  'UpdateRestaurantBody/properties/state': 'catalogue text',
  'CreateMealBody/properties/name': 'catalogue text',
  'CreateMealBody/properties/description/anyOf/0': 'catalogue text',
  'CreateMealBody/properties/category/anyOf/0': 'catalogue text',
  'UpdateMealBody/properties/name': 'catalogue text',
  'UpdateMealBody/properties/description/anyOf/0': 'catalogue text',
  'UpdateMealBody/properties/category/anyOf/0': 'catalogue text',
  'CreateIngredientBody/properties/name': 'catalogue text',
  'UpdateIngredientBody/properties/name': 'catalogue text',
  'CreateRestaurantBody/properties/time_zone': 'time zone',
  'UpdateRestaurantBody/properties/time_zone': 'time zone',
  // A catalogue file: JSON Lines, each line checked by the import as a restaurant with its meals.
  'ImportCatalogueBody/properties/jsonl': 'catalogue file',
};

export default {
  extends: [[oas, 'recommended'], owasp],
  overrides: [
    ...Object.keys(freeText).map((pointer) => ({
      files: [`dist/openapi/openapi.json#/components/schemas/${pointer}`],
      rules: { 'owasp:api4:2023-string-restricted': 'off' },
    })),
    // Page cursors are opaque to clients (base64url of a position), validated by the server.
    {
      files: [
        'dist/openapi/openapi.json#/paths/~1me~1sessions/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1admin~1users/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1me~1mood-logs/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1me~1stress-logs/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1me~1sleep-logs/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1me~1mindfulness-sessions/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1me~1chat-sessions/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1me~1exports/get/parameters/1',
        'dist/openapi/openapi.json#/paths/~1restaurants/get/parameters/7',
        'dist/openapi/openapi.json#/paths/~1meals/get/parameters/3',
      ],
      rules: { 'owasp:api4:2023-string-restricted': 'off' },
    },
    // Search words (meals, ingredients) and a cuisine to filter by (the catalogue's own labels,
    // not a fixed set): free text by nature, bounded in length.
    {
      files: [
        'dist/openapi/openapi.json#/paths/~1meals/get/parameters/0',
        'dist/openapi/openapi.json#/paths/~1admin~1ingredients/get/parameters/0',
        'dist/openapi/openapi.json#/paths/~1restaurants/get/parameters/2',
      ],
      rules: { 'owasp:api4:2023-string-restricted': 'off' },
    },
  ],
  rules: {
    // Limits guard against resource exhaustion by what a client sends: every request string, array
    // and parameter is bounded (the zod schemas, checked here). Answers are the server's own and
    // are not checked: a note is as long as its owner wrote it within the request limits.
    'owasp:api4:2023-string-limit': { ...o['owasp:api4:2023-string-limit'], given: sent('string') },
    'owasp:api4:2023-string-restricted': { ...o['owasp:api4:2023-string-restricted'], given: sent('string') },
    'owasp:api4:2023-array-limit': { ...o['owasp:api4:2023-array-limit'], given: sent('array') },
    // 401 is declared on every signed-in operation (from the route table, and tested); a public
    // operation takes no token and never answers 401.
    'owasp:api8:2023-define-error-responses-401': {
      ...o['owasp:api8:2023-define-error-responses-401'],
      given: '$.paths[*][?(@ && @.security && @.security.length > 0)].responses',
    },
    // Public by design: registering, signing in, refreshing, resetting a password (write) and the
    // liveness probe, this document and its reference (read). Each public route is also
    // acknowledged one by one, with its reason, by cdk-nag's AwsSolutions-APIG4 in lib/api.ts.
    'owasp:api2:2023-write-restricted': 'off',
    'owasp:api2:2023-read-restricted': 'off',
    // API Gateway (HTTP API) throttles per stage and per route but sends no RateLimit headers and
    // cannot be made to; 429 and Retry-After are declared on every operation instead.
    'owasp:api4:2023-rate-limit': 'off',
    // A mobile API: native clients send no Origin, and the API answers no CORS headers, so a
    // browser page of another origin cannot read it. /docs calls it from its own origin.
    'owasp:api8:2023-define-cors-origin': 'off',
    // Administrators use the same bearer tokens: the role is a claim, checked again against the
    // database on every admin request (functions/core/handler.ts), not a separate scheme.
    'owasp:api5:2023-admin-security-unique': 'off',
  },
};
