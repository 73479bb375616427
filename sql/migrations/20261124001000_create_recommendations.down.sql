-- Undo create_recommendations.

drop table public.feedback;
drop table public.user_preferences;
drop table public.recommendations;
