drop table auth.mail_outbox;
-- Roles are cluster-wide and shared with other databases: never dropped; only the schema grant is undone.
revoke usage on schema auth from eatsential_job_mail_outbox;
