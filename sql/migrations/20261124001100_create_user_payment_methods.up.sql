-- Payment cards (doc 10.2) and their encryption functions.
--
-- Why the differences from the doc: the user_id foreign key had no ON DELETE, so purging an
-- account failed on its cards; it cascades. card_last4 lets the app show a card without
-- decrypting it. The doc's encrypt/decrypt_card_number read the key from
-- current_setting('app.encryption_key'): a session setting is visible to every function in the
-- session and ends up in logs and dumps of settings. The key is now a parameter (the server must
-- not log parameters: log_parameter_max_length = 0, set by the infrastructure); the functions are
-- SECURITY INVOKER with a pinned search_path and nobody but the owner may call decrypt unless
-- granted. Production should keep a payment processor's token rather than the card number (PCI DSS).

create table public.user_payment_methods (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    card_number_encrypted bytea not null,
    card_last4 char(4) not null,
    card_holder varchar(255) not null,
    expires_month integer not null,
    expires_year integer not null,
    created_at timestamptz not null default current_timestamp,

    constraint user_payment_methods_card_last4_check check (card_last4 ~ '^[0-9]{4}$'),
    constraint user_payment_methods_expires_month_check check (expires_month between 1 and 12),
    constraint user_payment_methods_expires_year_check check (expires_year between 2000 and 2100),
    constraint user_payment_methods_card_number_encrypted_check check (octet_length(card_number_encrypted) <= 1024)
);

create index user_payment_methods_user_id_idx on public.user_payment_methods (user_id);

comment on table public.user_payment_methods is
    'Payment cards of a user: number encrypted (encrypt_card_number), last four digits in clear for display.';

alter table public.user_payment_methods enable row level security;

create policy "users read their own payment methods" on public.user_payment_methods
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users add their own payment methods" on public.user_payment_methods
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own payment methods" on public.user_payment_methods
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users remove their own payment methods" on public.user_payment_methods
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all payment methods" on public.user_payment_methods
    for select to eatsential_admin using (true);
create policy "jobs change any payment method" on public.user_payment_methods
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any payment method" on public.user_payment_methods
    for delete to eatsential_admin using (true);

grant select on public.user_payment_methods to eatsential_read, eatsential_admin;
grant insert, update, delete on public.user_payment_methods to eatsential_write;
grant update, delete on public.user_payment_methods to eatsential_admin;

create function public.encrypt_card_number(card_number text, encryption_key text)
returns bytea
language sql
strict
set search_path = pg_catalog, pg_temp
as $$
    select public.pgp_sym_encrypt(card_number, encryption_key, 'cipher-algo=aes256')
$$;

create function public.decrypt_card_number(encrypted_data bytea, encryption_key text)
returns text
language sql
strict
set search_path = pg_catalog, pg_temp
as $$
    select public.pgp_sym_decrypt(encrypted_data, encryption_key)
$$;

comment on function public.encrypt_card_number(text, text) is 'AES-256 OpenPGP encryption of a card number with the given key.';
comment on function public.decrypt_card_number(bytea, text) is 'Decrypts a card number; granted to no application role.';

revoke execute on function public.encrypt_card_number(text, text) from public;
revoke execute on function public.decrypt_card_number(bytea, text) from public;
grant execute on function public.encrypt_card_number(text, text) to eatsential_write;
