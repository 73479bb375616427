-- Registering with an address that already has an account emails its owner ("someone tried to
-- register"). Anyone could repeat the request and flood that mailbox, so the identity service
-- records when the owner was last told and sends at most one such email an hour. The answer to
-- the client is the same either way; every attempt is still written to audit.audit_logs.

create table auth.registration_attempt_emails (
    user_id uuid primary key references public.users (id) on delete cascade,
    sent_at timestamptz not null default current_timestamp
);

comment on table auth.registration_attempt_emails is
    'When the owner of an account was last emailed that someone tried to register with its address; one such email an hour at most.';

alter table auth.registration_attempt_emails enable row level security;

create policy "the identity service reads registration attempt emails" on auth.registration_attempt_emails
    for select to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service records registration attempt emails" on auth.registration_attempt_emails
    for insert to eatsential_auth with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the identity service dates registration attempt emails" on auth.registration_attempt_emails
    for update to eatsential_auth using (auth.current_user_id() is null or user_id = auth.current_user_id()) with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "jobs read all registration attempt emails" on auth.registration_attempt_emails
    for select to eatsential_admin using (true);
create policy "jobs delete any registration attempt email" on auth.registration_attempt_emails
    for delete to eatsential_admin using (true);

grant select, insert, update on auth.registration_attempt_emails to eatsential_auth;
grant select, delete on auth.registration_attempt_emails to eatsential_admin;
