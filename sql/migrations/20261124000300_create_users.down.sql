-- Undo create_users.

drop table public.users;
drop function public.check_user_time_zone();
