drop table public.idempotency_keys;
