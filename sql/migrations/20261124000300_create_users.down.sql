-- Undo create_users.

drop table public.users;
drop function auth.current_user_is_admin();
drop function public.check_user_time_zone();
