drop table health.mindfulness_sessions;
