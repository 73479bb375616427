/**
 * The domain Lambdas. Each serves the routes of `routes.ts` whose `domain` names it; the
 * infrastructure builds one function per entry and the local server loads the same handlers.
 */
export const domains = {
  identity: {
    entry: 'functions/identity/handler.ts',
    description: 'Accounts, email verification, sessions and passwords',
    memoryMb: 1024, // scrypt is CPU-bound and Lambda CPU scales with memory
    timeoutSeconds: 10,
    // Emails are queued in auth.mail_outbox (recipient and token sealed with the note keyring)
    // and sent by the mail-outbox job: the identity function itself sends none.
    sendsEmail: false,
    noteKeyring: true,
    // Reserved concurrency per stage (also caps the database connections through the proxy).
    // Domains without it get the stage default (lib/stage.ts); the synth fails when the total
    // exceeds what the account's Lambda quota allows (-c lambdaConcurrencyQuota, default 1000).
    reservedConcurrency: { dev: 10, prod: 100 },
  },
  health: {
    entry: 'functions/health/handler.ts',
    description: 'Health profiles, allergies, diets, medical conditions, fitness goals and preferences',
    memoryMb: 512,
    timeoutSeconds: 10,
    sendsEmail: false,
    // Reaction and condition notes are sealed with the note keyring, and so are the stored
    // answers of its idempotent creates (functions/core/idempotency.ts).
    noteKeyring: true,
  },
  catalogue: {
    entry: 'functions/catalogue/handler.ts',
    description:
      'Restaurants and meals: nearby, open now, full-text search, safety verdicts, administration and import',
    memoryMb: 1024, // the bulk import validates and writes a whole file in one request
    timeoutSeconds: 25, // under API Gateway's 29 s
    sendsEmail: false,
  },
  recommendations: {
    entry: 'functions/recommendations/handler.ts',
    description: 'Safe, explained meal recommendations nearby, and feedback on meals',
    memoryMb: 1024, // ranking runs in the function; Lambda CPU scales with memory
    timeoutSeconds: 10,
    sendsEmail: false,
    // Feedback comments are sealed with the note keyring, and so are the stored answers of its
    // idempotent create (functions/core/idempotency.ts).
    noteKeyring: true,
  },
  wellness: {
    entry: 'functions/wellness/handler.ts',
    description:
      'Mental wellness: consents, mood, stress, sleep and mindfulness logs, goals, AI chat sessions, insights',
    memoryMb: 512,
    timeoutSeconds: 10,
    sendsEmail: false,
    // Every note, chat title and summary is sealed with the note keyring, and so are the stored
    // answers of its idempotent creates.
    noteKeyring: true,
  },
  exports: {
    entry: 'functions/exports/handler.ts',
    description: "A person's copy of their data: JSON with every note opened, allergies as FHIR R4",
    memoryMb: 1024, // the document is built and hashed in the function; Lambda CPU scales with memory
    timeoutSeconds: 25, // the build runs after the answer is committed, before it leaves (under API Gateway's 29 s)
    sendsEmail: false,
    // Every note is opened for the export, and the export is written to (and linked from) the bucket.
    noteKeyring: true,
    exportsBucket: true,
    reservedConcurrency: { dev: 2, prod: 10 },
  },
  platform: {
    entry: 'functions/platform/handler.ts',
    description: 'Service documents: health check, the OpenAPI document and its reference at /docs',
    memoryMb: 256,
    timeoutSeconds: 5,
    sendsEmail: false,
    reservedConcurrency: { dev: 2, prod: 10 }, // liveness probes, the OpenAPI document and /docs only
    // The API reference's viewer (functions/platform/docs.ts), next to the bundle in docs/.
    copy: [
      { from: 'node_modules/swagger-ui-dist', to: 'docs', suffix: 'swagger-ui-bundle.js' },
      { from: 'node_modules/swagger-ui-dist', to: 'docs', suffix: 'swagger-ui.css' },
    ],
  },
} as const;

export type Domain = keyof typeof domains;
export const domainNames = Object.keys(domains) as Domain[];
