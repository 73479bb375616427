-- "My data": exports a person asks for (design doc 9.7, GDPR art. 15 and 20), and what the export
-- must read that the API role could not.
--
-- Why: a person may ask for a copy of everything held about them. One row per export: who asked,
-- its status, and once built the object in the exports bucket (key, size, SHA-256) and when it
-- expires. A person has at most one export pending or running at a time (a unique partial index),
-- so a second request, from another phone at the same moment included, finds the first.
-- The export is built as the person (eatsential_write, row-level security), so it can hold no one
-- else's rows; to include their own security events and the audit of reads of their data, the
-- role may now read those rows of theirs, and no others.

create table public.data_exports (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    status varchar(10) not null default 'pending',
    object_key varchar(255),
    size_bytes bigint,
    sha256 char(64),
    failure varchar(64),
    requested_at timestamptz not null default current_timestamp,
    started_at timestamptz,
    ready_at timestamptz,
    expires_at timestamptz,

    constraint data_exports_status_check check (status in ('pending', 'running', 'ready', 'failed')),
    constraint data_exports_ready_check check (
        (status = 'ready') = (object_key is not null and size_bytes is not null and sha256 is not null
                              and ready_at is not null and expires_at is not null)
    ),
    constraint data_exports_size_bytes_check check (size_bytes >= 0),
    constraint data_exports_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint data_exports_failure_check check ((status = 'failed') = (failure is not null)),
    constraint data_exports_expires_at_check check (expires_at > ready_at)
);

create unique index data_exports_user_id_building_idx on public.data_exports (user_id)
    where status in ('pending', 'running');
create index data_exports_user_id_requested_at_idx on public.data_exports (user_id, requested_at desc);

comment on table public.data_exports is
    'Exports of a person''s data they asked for: status, the object in the exports bucket (key, size, SHA-256) and its expiry. At most one pending or running per person.';
comment on column public.data_exports.failure is 'Why the build failed, as a code (storage_unavailable, build_failed); never content.';

alter table public.data_exports enable row level security;

create policy "users read their own exports" on public.data_exports
    for select to eatsential_write using (user_id = auth.current_user_id());
create policy "users ask for their own exports" on public.data_exports
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users record the progress of their own exports" on public.data_exports
    for update to eatsential_write
    using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());

grant select, insert (user_id), update (status, object_key, size_bytes, sha256, failure, started_at, ready_at, expires_at)
    on public.data_exports to eatsential_write;

-- A person's own security events and the audit of reads of their data, for their export.
grant select (id, user_id, event, detail, ip, occurred_at) on audit.audit_logs to eatsential_write;
create policy "users read their own security events" on audit.audit_logs
    for select to eatsential_write using (user_id = auth.current_user_id());
grant select (id, user_id, subject_user_id, tables, row_count, route, request_id, read_at) on audit.data_reads
    to eatsential_write;
create policy "users read the audit of reads of their data" on audit.data_reads
    for select to eatsential_write using (subject_user_id = auth.current_user_id());
