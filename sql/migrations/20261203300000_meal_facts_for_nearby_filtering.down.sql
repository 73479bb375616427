drop trigger meal_facts_after_restaurant_update on public.restaurants;
drop trigger meal_facts_after_meal_update on public.meals;
drop function public.meal_facts_after_restaurant_update();
drop function public.meal_facts_after_meal_update();

create or replace function public.refresh_meal_facts(p_meal_ids uuid[])
returns void
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$
    delete from public.meal_facts where meal_id = any (p_meal_ids);
    insert into public.meal_facts (meal_id, ingredient_count, contains_allergen_ids, trace_allergen_ids, contains_traits, unclassified)
    select m.id,
           count(mi.ingredient_id)::integer,
           coalesce(array_agg(distinct i.allergen_id) filter (where mi.presence = 'contains' and i.allergen_id is not null), '{}'),
           coalesce(array_agg(distinct i.allergen_id) filter (where mi.presence = 'may_contain' and i.allergen_id is not null), '{}'),
           coalesce((
               select array_agg(distinct t)
               from public.meal_ingredients mi2
               join public.ingredients i2 on i2.id = mi2.ingredient_id
               cross join unnest(i2.diet_traits) as t
               where mi2.meal_id = m.id and mi2.presence = 'contains'
           ), '{}'),
           coalesce(bool_or(i.id is not null and i.diet_traits is null), false)
    from public.meals m
    left join public.meal_ingredients mi on mi.meal_id = m.id
    left join public.ingredients i on i.id = mi.ingredient_id
    where m.id = any (p_meal_ids)
    group by m.id;
$$;

drop index public.meal_facts_location_idx;
alter table public.meal_facts
    drop column restaurant_id,
    drop column location,
    drop column available,
    drop column restaurant_active,
    drop column listed,
    drop column contains_mask,
    drop column trace_mask,
    drop column traits_mask,
    drop column carbs_g,
    drop column protein_g,
    drop column fat_g,
    drop column sodium_mg,
    drop column certifications;

comment on table public.meal_facts is
    'Derived from meal_ingredients and ingredients by triggers: ingredient_count, the allergens (as tagged on the ingredients, not their groups) it contains and may contain, the diet_traits of what it contains, and whether any ingredient is unclassified. Read by the recommendation filter.';

create or replace function public.distance_km(p_from point, p_to point)
returns double precision
language sql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    select 2 * 6371.0088 * pg_catalog.asin(pg_catalog.sqrt(
        pg_catalog.power(pg_catalog.sin(pg_catalog.radians(p_to[1] - p_from[1]) / 2), 2)
        + pg_catalog.cos(pg_catalog.radians(p_from[1])) * pg_catalog.cos(pg_catalog.radians(p_to[1]))
          * pg_catalog.power(pg_catalog.sin(pg_catalog.radians(p_to[0] - p_from[0]) / 2), 2)
    ))
$$;

drop function public.diet_trait_mask(text[]);
alter table health.allergens drop column bit;
