export { onPostgres, useTestDatabase, type TestDatabase } from './db';
export { repoRoot } from './template';
