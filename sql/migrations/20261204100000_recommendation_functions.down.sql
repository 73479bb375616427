drop function public.recommendation_person_facts(uuid, integer, integer);
drop function public.recommendation_candidates(uuid, double precision, double precision, box, box, double precision, boolean, integer);
