-- public.meal_facts holds everything the recommendation filter decides a meal by, and is found by
-- its own GiST index on the restaurant's location.
--
-- Why: GET /me/recommendations decides every meal within the person's distance (about 1,700 in a
-- 5 km circle of the benchmark's city) against each of their rules. Joining restaurants, meals and
-- meal_facts per meal and comparing uuid arrays per meal and rule cost about 30 ms of the
-- server's time per request. With the restaurant's point, its activity, the meal's availability,
-- nutrients, certifications and ingredient facts on one row, and allergens and diet traits as
-- bitmasks (one bit per allergen, `health.allergens.bit`, and per diet trait), the filter is one
-- index scan and a few integer operations per meal (sql/README.md §7). The arrays stay: the
-- warnings of a shown meal name its allergens.

-- ---- one bit per allergen and per diet trait ---------------------------------------------

create sequence health.allergens_bit_seq as smallint minvalue 0 maxvalue 62 start with 0;

alter table health.allergens add column bit smallint;

update health.allergens a set bit = n.bit
from (select id, (row_number() over (order by name) - 1)::smallint as bit from health.allergens) n
where n.id = a.id;

select setval('health.allergens_bit_seq', coalesce((select max(bit) from health.allergens), 0),
              (select count(*) > 0 from health.allergens));

alter table health.allergens
    alter column bit set default nextval('health.allergens_bit_seq'),
    alter column bit set not null,
    add constraint allergens_bit_key unique (bit),
    add constraint allergens_bit_check check (bit between 0 and 62);

alter sequence health.allergens_bit_seq owned by health.allergens.bit;

comment on column health.allergens.bit is
    'The allergen''s bit in public.meal_facts masks (0..62, from a sequence): at most 63 allergens, and a bit is never reused or changed.';

create function public.diet_trait_mask(p_traits text[])
returns bigint
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(bit_or((1::bigint) << (array_position(array[
               'meat', 'pork', 'poultry', 'fish', 'shellfish', 'dairy', 'egg', 'honey', 'gelatin',
               'alcohol', 'grain', 'legume', 'refined_sugar']::text[], t) - 1)), 0)
    from unnest(p_traits) as t
$$;

comment on function public.diet_trait_mask(text[]) is
    'The diet traits (ingredients_diet_traits_check) as a bitmask, in the order of that check; a new trait is added at the end of both.';

revoke execute on function public.diet_trait_mask(text[]) from public;
grant execute on function public.diet_trait_mask(text[]) to eatsential_read, eatsential_admin;

-- ---- great-circle distance, inlinable ----------------------------------------------------

-- The same haversine without a pinned search_path (which kept the planner from inlining it and
-- cost a function call per row): every function and operator is schema-qualified instead, and
-- parenthesised (OPERATOR() has one precedence for all). 12742.0176 is twice the mean Earth radius.
create or replace function public.distance_km(p_from point, p_to point)
returns double precision
language sql
immutable
parallel safe
as $$
    select 12742.0176::float8 operator(pg_catalog.*) pg_catalog.asin(pg_catalog.sqrt(
        (pg_catalog.power(pg_catalog.sin(pg_catalog.radians(p_to[1] operator(pg_catalog.-) p_from[1]) operator(pg_catalog./) 2::float8), 2::float8))
        operator(pg_catalog.+) ((pg_catalog.cos(pg_catalog.radians(p_from[1])) operator(pg_catalog.*) pg_catalog.cos(pg_catalog.radians(p_to[1])))
          operator(pg_catalog.*) pg_catalog.power(pg_catalog.sin(pg_catalog.radians(p_to[0] operator(pg_catalog.-) p_from[0]) operator(pg_catalog./) 2::float8), 2::float8))
    ))
$$;

-- ---- the facts --------------------------------------------------------------------------

alter table public.meal_facts
    add column restaurant_id uuid,
    add column location point,
    add column available boolean not null default false,
    add column restaurant_active boolean not null default false,
    add column listed boolean not null default false,
    add column contains_mask bigint not null default 0,
    add column trace_mask bigint not null default 0,
    add column traits_mask bigint not null default 0,
    add column carbs_g double precision,
    add column protein_g double precision,
    add column fat_g double precision,
    add column sodium_mg integer,
    add column certifications text[] not null default '{}';

create index meal_facts_location_idx on public.meal_facts using gist (location);

comment on table public.meal_facts is
    'Derived by triggers from meals, restaurants, meal_ingredients, ingredients and allergens: what the recommendation filter decides a meal by. The allergens (as tagged on the ingredients, not their groups) it contains and may contain, as ids and as masks of health.allergens.bit; the diet traits of what it contains (and their diet_trait_mask); ingredient_count, listed (a complete, non-empty list), unclassified; the meal''s availability, nutrients and certifications; its restaurant, whether that is active, and its location (GiST).';

create or replace function public.refresh_meal_facts(p_meal_ids uuid[])
returns void
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$
    delete from public.meal_facts where meal_id = any (p_meal_ids);
    insert into public.meal_facts (
        meal_id, ingredient_count, contains_allergen_ids, trace_allergen_ids, contains_traits, unclassified,
        restaurant_id, location, available, restaurant_active, listed, contains_mask, trace_mask, traits_mask,
        carbs_g, protein_g, fat_g, sodium_mg, certifications)
    select f.id, f.ingredient_count, f.contains_ids, f.trace_ids, f.traits, f.unclassified,
           f.restaurant_id, f.location, f.is_available, f.is_active,
           f.ingredients_complete and f.ingredient_count > 0,
           coalesce((select bit_or((1::bigint) << a.bit) from health.allergens a where a.id = any (f.contains_ids)), 0),
           coalesce((select bit_or((1::bigint) << a.bit) from health.allergens a where a.id = any (f.trace_ids)), 0),
           public.diet_trait_mask(f.traits),
           f.carbs_g, f.protein_g, f.fat_g, f.sodium_mg, f.certifications
    from (
        select m.id, m.restaurant_id, r.location, m.is_available, r.is_active, m.ingredients_complete,
               m.carbs_g::float8 as carbs_g, m.protein_g::float8 as protein_g, m.fat_g::float8 as fat_g,
               m.sodium_mg, m.certifications,
               count(mi.ingredient_id)::integer as ingredient_count,
               coalesce(array_agg(distinct i.allergen_id) filter (where mi.presence = 'contains' and i.allergen_id is not null), '{}') as contains_ids,
               coalesce(array_agg(distinct i.allergen_id) filter (where mi.presence = 'may_contain' and i.allergen_id is not null), '{}') as trace_ids,
               coalesce((
                   select array_agg(distinct t)
                   from public.meal_ingredients mi2
                   join public.ingredients i2 on i2.id = mi2.ingredient_id
                   cross join unnest(i2.diet_traits) as t
                   where mi2.meal_id = m.id and mi2.presence = 'contains'
               ), '{}') as traits,
               coalesce(bool_or(i.id is not null and i.diet_traits is null), false) as unclassified
        from public.meals m
        join public.restaurants r on r.id = m.restaurant_id
        left join public.meal_ingredients mi on mi.meal_id = m.id
        left join public.ingredients i on i.id = mi.ingredient_id
        where m.id = any (p_meal_ids)
        group by m.id, r.id
    ) f
    -- a restaurant's meals side by side: the nearby scan reads a few pages per restaurant
    order by f.restaurant_id;
$$;

-- A meal's own columns changed (availability, nutrients, certifications, completeness, restaurant).
create function public.meal_facts_after_meal_update()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.refresh_meal_facts(array(
        select n.id from new_meals n join old_meals o on o.id = n.id
        where (n.restaurant_id, n.is_available, n.ingredients_complete, n.carbs_g, n.protein_g, n.fat_g,
               n.sodium_mg, n.certifications)
              is distinct from
              (o.restaurant_id, o.is_available, o.ingredients_complete, o.carbs_g, o.protein_g, o.fat_g,
               o.sodium_mg, o.certifications)));
    return null;
end;
$$;

-- A restaurant moved, closed or reopened: its meals' facts follow.
create function public.meal_facts_after_restaurant_update()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.refresh_meal_facts(array(
        select m.id from new_restaurants n join old_restaurants o on o.id = n.id
        join public.meals m on m.restaurant_id = n.id
        where (n.latitude, n.longitude, n.is_active) is distinct from (o.latitude, o.longitude, o.is_active)));
    return null;
end;
$$;

revoke execute on function public.meal_facts_after_meal_update() from public;
revoke execute on function public.meal_facts_after_restaurant_update() from public;

create trigger meal_facts_after_meal_update
    after update on public.meals
    referencing new table as new_meals old table as old_meals
    for each statement execute function public.meal_facts_after_meal_update();
create trigger meal_facts_after_restaurant_update
    after update on public.restaurants
    referencing new table as new_restaurants old table as old_restaurants
    for each statement execute function public.meal_facts_after_restaurant_update();

select public.refresh_meal_facts(array(select id from public.meals));
