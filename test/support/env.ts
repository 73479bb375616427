// Test runs are quiet; a test that reads log lines raises the level itself.
process.env.LOG_LEVEL ??= 'SILENT';
