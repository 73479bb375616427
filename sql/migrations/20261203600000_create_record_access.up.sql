-- audit.record_access: the access-log row of a request, written by a statement that cannot fail.
--
-- Why: a signed-in request ends with one message holding both `commit` and this call, so COMMIT
-- and the access-log row share a round trip (a read is then four round trips: BEGIN with the
-- session check, the query's describe and execute, COMMIT with the row). In one simple-protocol
-- message an error stops the statements after it, and the client cannot tell which statement
-- failed; so a failure here is caught and returned as its SQLSTATE, and an error from the message
-- can only be COMMIT's. A lost access-log row never fails the request it describes.
--
-- It runs after COMMIT as the login role (eatsential_api), which alone may insert access logs.

create function audit.record_access(
    p_user_id uuid,
    p_session_id uuid,
    p_ip_address text,
    p_user_agent text,
    p_endpoint text,
    p_method text,
    p_status_code integer,
    p_response_time_ms integer
)
returns text
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    insert into audit.access_logs (user_id, session_id, ip_address, user_agent, endpoint, method, status_code, response_time_ms)
    values (p_user_id, p_session_id, p_ip_address::inet, p_user_agent, p_endpoint, p_method, p_status_code, p_response_time_ms);
    return null;
exception when others then
    return sqlstate;
end;
$$;

comment on function audit.record_access(uuid, uuid, text, text, text, text, integer, integer) is
    'Inserts one audit.access_logs row; returns NULL, or the SQLSTATE of the failure instead of raising it.';

revoke execute on function audit.record_access(uuid, uuid, text, text, text, text, integer, integer) from public;
grant execute on function audit.record_access(uuid, uuid, text, text, text, text, integer, integer) to eatsential_api;
