-- Undo create_schemas_and_roles: drop the helpers, schemas and extension.
-- The roles and their memberships stay: they are cluster-wide and other databases use them.

drop function public.update_updated_at_column();
drop function auth.current_user_id();

revoke usage on schema public from eatsential_read, eatsential_auth, eatsential_admin, mental_health_reader;

drop schema audit;
drop schema health;
drop schema auth;

drop extension if exists pgcrypto;
