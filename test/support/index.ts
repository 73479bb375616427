export { onPostgres, useTestDatabase, type TestDatabase } from './db';
export { repoRoot } from './template';
export { createUser, testJwtSecret, testNoteKeyring, useApi, type ApiResponse, type TestApi } from './api';
