drop table auth.registration_attempt_emails;
