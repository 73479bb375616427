drop function if exists auth.begin_request(uuid, uuid);
revoke usage on schema auth from eatsential_api;
