-- Idempotency keys: a client retrying a creating POST with the same Idempotency-Key gets the
-- first answer instead of a second record. Scoped to the caller (NULL for requests made before
-- sign-in) and the route; a row without status_code is a request still in flight.
create table public.idempotency_keys (
    id uuid primary key default gen_random_uuid(),
    user_id uuid references public.users(id) on delete cascade,
    route varchar(100) not null,
    key varchar(255) not null,
    -- HMAC of the request body under a server key: bodies can hold passwords.
    request_hash bytea not null,
    status_code integer,
    response_body jsonb,
    created_at timestamptz not null default current_timestamp,
    expires_at timestamptz not null default current_timestamp + interval '24 hours',

    constraint idempotency_keys_scope_key unique nulls not distinct (user_id, route, key),
    constraint idempotency_keys_key_check check (length(key) between 1 and 255),
    constraint idempotency_keys_status_code_check check (status_code is null or status_code between 200 and 599),
    constraint idempotency_keys_expiry_check check (expires_at > created_at)
);

create index idempotency_keys_expires_at_idx on public.idempotency_keys (expires_at);

comment on table public.idempotency_keys is
    'First answers to creating POSTs, replayed to retries that carry the same Idempotency-Key; kept 24 hours.';

alter table public.idempotency_keys enable row level security;

create policy "users read their own idempotency keys" on public.idempotency_keys
    for select to eatsential_write using (user_id = auth.current_user_id());
create policy "users record their own idempotency keys" on public.idempotency_keys
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users complete their own idempotency keys" on public.idempotency_keys
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users release their own idempotency keys" on public.idempotency_keys
    for delete to eatsential_write using (user_id = auth.current_user_id());

create policy "the identity service reads anonymous idempotency keys" on public.idempotency_keys
    for select to eatsential_auth using (user_id is null);
create policy "the identity service records anonymous idempotency keys" on public.idempotency_keys
    for insert to eatsential_auth with check (user_id is null);
create policy "the identity service completes anonymous idempotency keys" on public.idempotency_keys
    for update to eatsential_auth using (user_id is null) with check (user_id is null);
create policy "the identity service releases anonymous idempotency keys" on public.idempotency_keys
    for delete to eatsential_auth using (user_id is null);

create policy "jobs see expired idempotency keys" on public.idempotency_keys
    for select to eatsential_admin using (expires_at < current_timestamp);
create policy "jobs purge expired idempotency keys" on public.idempotency_keys
    for delete to eatsential_admin using (expires_at < current_timestamp);

grant select, insert, update, delete on public.idempotency_keys to eatsential_write, eatsential_auth;
grant select, delete on public.idempotency_keys to eatsential_admin;
