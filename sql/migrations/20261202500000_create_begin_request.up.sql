-- auth.begin_request: a signed-in request's first statement both checks its session and sets the
-- request context, so a request spends one round trip (pipelined with BEGIN) before its own work.
--
-- Why: the handler used to run BEGIN, then set_config, then the session check, each waiting for
-- the previous answer. The session check must read auth.user_sessions and public.users whatever
-- the caller's row-level security, hence SECURITY DEFINER with a pinned search_path. The user id
-- is set only when the session is live: a dead session gets no user context at all.
--
-- The handler sends `select set_config('role', 'eatsential_write', true), auth.begin_request(...)`:
-- the statement is parsed as the login role, which therefore needs USAGE on auth and EXECUTE on
-- this function (it reads nothing else there; every table grant stays with the roles it SETs).

create function auth.begin_request(p_user_id uuid, p_session_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_role text;
begin
    select u.role into v_role
    from auth.user_sessions s
    join public.users u on u.id = s.user_id
    where s.id = p_session_id
      and s.user_id = p_user_id
      and s.revoked_at is null
      and s.expires_at > pg_catalog.now()
      and u.deleted_at is null
      and u.is_active;
    if v_role is not null then
        perform pg_catalog.set_config('app.current_user_id', p_user_id::text, true);
    end if;
    return v_role;
end;
$$;

comment on function auth.begin_request(uuid, uuid) is
    'The role of a live session''s user (NULL when the session has ended or the account is gone); sets app.current_user_id for the transaction when live.';

revoke execute on function auth.begin_request(uuid, uuid) from public;
grant usage on schema auth to eatsential_api;
grant execute on function auth.begin_request(uuid, uuid) to eatsential_api;
