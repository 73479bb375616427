-- Undo create_health_profiles.

drop function public.get_user_profile(uuid);
drop table public.user_fitness_goals;
drop table public.user_medical_conditions;
drop table public.user_dietary_restrictions;
drop table public.user_allergies;
drop view public.health_profiles_with_bmr;
drop function public.bmr_calories(public.health_profiles);
drop table public.health_profiles;
drop function public.check_email_verified();
drop function public.check_minimum_age();
