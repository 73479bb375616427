-- Undo catalogue_search_hours_and_admin.
do $$
declare
    t record;
begin
    for t in
        select * from (values ('public', 'restaurants'), ('public', 'meals'), ('public', 'ingredients'),
                              ('public', 'meal_ingredients'), ('health', 'food_tags')) as v (schema_name, table_name)
    loop
        execute format('drop trigger audit_%1$s_inserts on %2$I.%1$I', t.table_name, t.schema_name);
        execute format('drop trigger audit_%1$s_updates on %2$I.%1$I', t.table_name, t.schema_name);
        execute format('drop trigger audit_%1$s_deletes on %2$I.%1$I', t.table_name, t.schema_name);
    end loop;
end;
$$;
drop function public.audit_catalogue_changes();

revoke insert, update, delete on public.meal_ingredients, health.food_tags from eatsential_write;
revoke insert, update on public.restaurants, public.meals, public.ingredients from eatsential_write;

do $$
declare
    p record;
begin
    for p in
        select schemaname, tablename, policyname from pg_catalog.pg_policies
        where (schemaname, tablename) in (('public', 'restaurants'), ('public', 'meals'), ('public', 'ingredients'),
                                          ('public', 'meal_ingredients'), ('health', 'food_tags'))
    loop
        execute format('drop policy %I on %I.%I', p.policyname, p.schemaname, p.tablename);
    end loop;
end;
$$;

alter table health.food_tags disable row level security;
alter table public.meal_ingredients disable row level security;
alter table public.ingredients disable row level security;
alter table public.meals disable row level security;
alter table public.restaurants disable row level security;

drop index public.meals_search_vector_idx;
alter table public.meals
    drop constraint meals_restaurant_id_name_key,
    drop column search_vector;

drop trigger check_restaurants_time_zone_updates on public.restaurants;
drop trigger check_restaurants_time_zone_inserts on public.restaurants;
drop function public.check_restaurant_time_zones();

alter table public.restaurants
    drop constraint restaurants_natural_key,
    drop constraint restaurants_hours_format_check,
    drop column time_zone;

drop function public.opening_hours_open_at(jsonb, timestamp);
drop function public.opening_hours_valid(jsonb);
drop function public.opening_hours_days(text);

drop index public.restaurants_position_idx;
alter table public.restaurants drop column position;
drop function public.earth_position(double precision, double precision);
drop extension if exists cube;
