-- The identity emails go through an outbox: the request writes a row in its own transaction and
-- the mail-outbox job sends it, so a request for a registered address does the same work and
-- answers in the same time as one for an unknown address (no timing oracle), and an email is
-- sent only if the request committed.
--
-- The row holds no address and no token in clear: recipient and token are sealed by the
-- application with the note keyring (AES-256-GCM bound to this table, column and user), and the
-- ciphertext is dropped once the message is sent or given up. The job sends each row at most
-- once even when two drains run at once (FOR UPDATE SKIP LOCKED, one transaction per message),
-- retries with backoff and gives up ("dead") after a number of attempts. Rows are the person's
-- data: they go with the account (cascade, lifecycle.person_columns()).

do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'eatsential_job_mail_outbox') then
        begin
            create role eatsential_job_mail_outbox nologin;
        exception when duplicate_object or unique_violation then
            null; -- created meanwhile by a migration of another database
        end;
    end if;
    if not exists (
        select 1 from pg_catalog.pg_auth_members m
        join pg_catalog.pg_roles g on g.oid = m.roleid
        join pg_catalog.pg_roles u on u.oid = m.member
        where g.rolname = 'eatsential_job_mail_outbox' and u.rolname = 'eatsential_jobs'
    ) then
        begin
            grant eatsential_job_mail_outbox to eatsential_jobs;
        exception when duplicate_object or unique_violation then
            null;
        end;
    end if;
end;
$$;

create table auth.mail_outbox (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    kind varchar(30) not null,
    payload_encrypted bytea,
    payload_key_version smallint,
    state varchar(10) not null default 'pending',
    attempts smallint not null default 0,
    next_attempt_at timestamptz not null default current_timestamp,
    last_error varchar(100),
    created_at timestamptz not null default current_timestamp,
    sent_at timestamptz,

    constraint mail_outbox_kind_check check (
        kind in ('email_verify', 'password_reset', 'password_changed', 'registration_attempt')
    ),
    constraint mail_outbox_state_check check (state in ('pending', 'sent', 'dead')),
    constraint mail_outbox_payload_check check ((state = 'pending') = (payload_encrypted is not null)),
    constraint mail_outbox_payload_key_version_check check ((payload_encrypted is null) = (payload_key_version is null)),
    constraint mail_outbox_payload_size_check check (octet_length(payload_encrypted) <= 4096),
    constraint mail_outbox_attempts_check check (attempts >= 0),
    constraint mail_outbox_sent_check check ((state = 'sent') = (sent_at is not null))
);

create index mail_outbox_due_idx on auth.mail_outbox (next_attempt_at) where state = 'pending';
create index mail_outbox_user_id_idx on auth.mail_outbox (user_id);
create index mail_outbox_ended_idx on auth.mail_outbox (created_at) where state <> 'pending';

comment on table auth.mail_outbox is
    'Identity emails waiting to be sent by the mail-outbox job; recipient and token only as ciphertext, dropped once sent or dead.';
comment on column auth.mail_outbox.payload_encrypted is
    'Recipient and token (JSON) sealed with the note keyring, bound to auth.mail_outbox.payload_encrypted and user_id.';
comment on column auth.mail_outbox.last_error is 'The name of the last sending error (never its message, which may hold the address).';

alter table auth.mail_outbox enable row level security;

create policy "the identity service queues emails" on auth.mail_outbox
    for insert to eatsential_auth with check (auth.current_user_id() is null or user_id = auth.current_user_id());
create policy "the mail-outbox job reads queued emails" on auth.mail_outbox
    for select to eatsential_job_mail_outbox using (true);
create policy "the mail-outbox job records sending" on auth.mail_outbox
    for update to eatsential_job_mail_outbox using (true) with check (true);
create policy "the mail-outbox job removes ended emails" on auth.mail_outbox
    for delete to eatsential_job_mail_outbox using (state <> 'pending');
create policy "jobs read all queued emails" on auth.mail_outbox
    for select to eatsential_admin using (true);
create policy "jobs delete any queued email" on auth.mail_outbox
    for delete to eatsential_admin using (true);

-- The identity service writes rows and never reads them back; the job reads and updates them.
grant insert (user_id, kind, payload_encrypted, payload_key_version) on auth.mail_outbox to eatsential_auth;
grant usage on schema auth to eatsential_job_mail_outbox;
grant select (id, user_id, kind, payload_encrypted, payload_key_version, state, attempts, next_attempt_at, created_at),
      update (state, attempts, next_attempt_at, last_error, sent_at, payload_encrypted, payload_key_version),
      delete
    on auth.mail_outbox to eatsential_job_mail_outbox;
grant select, delete on auth.mail_outbox to eatsential_admin;
