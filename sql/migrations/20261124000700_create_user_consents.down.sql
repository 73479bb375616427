-- Undo create_user_consents.

drop function public.has_active_consent(uuid, text);
drop table public.user_consents;
