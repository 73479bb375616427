// Test runs are quiet; a test that reads log lines raises the level itself.
process.env.LOG_LEVEL ??= 'SILENT';
// Job metrics (Powertools EMF lines) are for CloudWatch; tests read the returned reports.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
