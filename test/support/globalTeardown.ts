/** Test databases are dropped by the files that made them; templates stay for the next run. */
export default async function globalTeardown(): Promise<void> {}
