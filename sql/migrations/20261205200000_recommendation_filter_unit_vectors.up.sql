-- The recommendation filter, cheaper for every nearby meal.
--
-- Why: GET /me/recommendations spends most of its database time in recommendation_candidates
-- (pg_stat_statements over the bench of npm run bench -- recommendations: 14.5 ms of about 17 ms
-- a request), and most of that on the work done for each of the ~2,000 meals within 5 km:
--
-- - the great-circle distance of every meal in the box: the haversine of public.distance_km is
--   about twenty function calls a meal. Each meal's place is now also a unit vector (three
--   generated columns of public.meal_facts), and a meal is within the distance when its dot product
--   with the person's place is at least cos(distance / R), three products and two sums. Only a meal
--   within a hair of the circle (1e-9 of the cosine: metres, far above the rounding of either
--   formula) is decided by public.distance_km, so the answer is the same as before to the metre
--   and exactly the same at the edge. Distances shown are public.distance_km's, as before.
-- - tests that depend only on the person (does any rule need a certification, or limit each
--   nutrient) were made again for each meal; they are now columns of the one person row.
-- - the meals some rule hides were grouped by nine columns before their rules were counted; the
--   classification and the four nutrient figures are now one packed bigint, so the grouping hashes
--   five.
--
-- Everything else is the function of migration 20261204100000 unchanged: the same rules, counts
-- and answer.

alter table public.meal_facts
    add column ux double precision generated always as (cos(radians(location[1])) * cos(radians(location[0]))) stored,
    add column uy double precision generated always as (cos(radians(location[1])) * sin(radians(location[0]))) stored,
    add column uz double precision generated always as (sin(radians(location[1]))) stored;

comment on column public.meal_facts.ux is 'The place as a unit vector (x, y, z) on the sphere: the dot product of two is the cosine of the angle between them.';

create or replace function public.recommendation_candidates(
    p_user_id uuid,
    p_lon double precision,
    p_lat double precision,
    -- the box that holds the circle; a second one (else null) when the circle crosses the antimeridian
    p_box box,
    p_other_box box,
    p_max_km double precision,
    p_with_wellness_tags boolean,
    p_limit integer
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
begin
    return (
    with recursive
    roots (key, allergen_id, strict) as (
      select 'allergy:' || ua.allergen_id, ua.allergen_id, ua.severity in ('SEVERE', 'LIFE_THREATENING')
      from public.user_allergies ua where ua.user_id = p_user_id
      union all
      select 'diet:' || d.id, a.id, d.excluded_allergens_strict
      from public.user_dietary_restrictions ud
      join health.dietary_restrictions_ref d on d.id = ud.restriction_id
      cross join unnest(d.excluded_allergen_ids) as a (id)
      where ud.user_id = p_user_id
      union all
      select 'condition:' || mc.id, a.id, mc.excluded_allergens_strict
      from public.user_medical_conditions uc
      join health.medical_conditions_ref mc on mc.id = uc.condition_id
      cross join unnest(mc.excluded_allergen_ids) as a (id)
      where uc.user_id = p_user_id
    ),
    -- each excluded allergen with every allergen under it, at any depth
    exclusions (key, allergen_id, strict) as (
      select key, allergen_id, strict from roots
      union
      select e.key, a.id, e.strict from exclusions e join health.allergens a on a.parent_id = e.allergen_id
    ),
    -- one row per rule the person's allergies, diets and conditions set (a diet's allergens,
    -- traits and certification are one rule)
    rules as materialized (
      select key, bit_or(contains_mask) as contains_mask, bit_or(trace_mask) as trace_mask,
             bit_or(traits_mask) as traits_mask, bool_or(needs_classified) as needs_classified,
             max(certification) as certification, min(max_carbs) as max_carbs, min(max_sodium) as max_sodium,
             min(max_protein) as max_protein, min(max_fat) as max_fat
      from (
        select e.key, bit_or((1::bigint) << a.bit) as contains_mask,
               coalesce(bit_or((1::bigint) << a.bit) filter (where e.strict), 0) as trace_mask,
               0::bigint as traits_mask, false as needs_classified, null::text as certification,
               null::float8 as max_carbs, null::integer as max_sodium, null::float8 as max_protein,
               null::float8 as max_fat
        from exclusions e join health.allergens a on a.id = e.allergen_id group by e.key
        union all
        select 'diet:' || d.id, 0, 0, public.diet_trait_mask(d.excluded_traits), d.needs_classified_ingredients,
               d.required_certification, d.max_carbs_g_per_meal::float8, null, null, null
        from public.user_dietary_restrictions ud
        join health.dietary_restrictions_ref d on d.id = ud.restriction_id
        where ud.user_id = p_user_id
        union all
        select 'condition:' || mc.id, 0, 0, 0, false, null, mc.max_carbs_g_per_meal::float8,
               mc.max_sodium_mg_per_meal, mc.max_protein_g_per_meal::float8, mc.max_fat_g_per_meal::float8
        from public.user_medical_conditions uc
        join health.medical_conditions_ref mc on mc.id = uc.condition_id
        where uc.user_id = p_user_id
          and (mc.max_sodium_mg_per_meal is not null or mc.max_carbs_g_per_meal is not null
               or mc.max_protein_g_per_meal is not null or mc.max_fat_g_per_meal is not null)
      ) parts
      group by key
    ),
    -- the union of the rules: a meal keeps every rule exactly when it keeps this one row
    person as materialized (
      select coalesce(bit_or(contains_mask), 0) as contains_mask, coalesce(bit_or(trace_mask), 0) as trace_mask,
             coalesce(bit_or(traits_mask), 0) as traits_mask, coalesce(bool_or(needs_classified), false) as needs_classified,
             coalesce(array_agg(distinct certification) filter (where certification is not null), '{}') as certifications,
             min(max_carbs) as max_carbs, min(max_sodium) as max_sodium, min(max_protein) as max_protein,
             min(max_fat) as max_fat,
             (select coalesce(bool_or(strict), false) from exclusions) as any_strict,
             -- each nutrient's distinct limits, negated and ascending: width_bucket(-value, limits)
             -- is then how many of them the value keeps (value <= limit), which says which
             array(select distinct -max_carbs from rules where max_carbs is not null order by 1) as carbs_limits,
             array(select distinct -max_sodium from rules where max_sodium is not null order by 1) as sodium_limits,
             array(select distinct -max_protein from rules where max_protein is not null order by 1) as protein_limits,
             array(select distinct -max_fat from rules where max_fat is not null order by 1) as fat_limits,
             array(select f.meal_id from public.feedback f where f.user_id = p_user_id and f.reaction) as reacted,
             -- what each meal's test reads of the rules, decided once here instead of for every meal
             coalesce(bool_or(certification is not null), false) as needs_cert,
             min(max_carbs) is not null as has_carbs, min(max_sodium) is not null as has_sodium,
             min(max_protein) is not null as has_protein, min(max_fat) is not null as has_fat,
             -- the place as a unit vector, and the cosine of the greatest angle within p_max_km
             cos(radians(p_lat)) * cos(radians(p_lon)) as cx, cos(radians(p_lat)) * sin(radians(p_lon)) as cy,
             sin(radians(p_lat)) as cz, cos(p_max_km / 6371.0088) as cos_max
      from rules
    ),
    -- every meal within the distance, with the reasons that need no rule and whether a rule hides it
    -- (its distance is computed again only for the meals shown)
    base as materialized (
      select mf.meal_id as id, mf.restaurant_id, mf.listed, mf.unclassified, mf.contains_mask, mf.trace_mask,
             mf.traits_mask, mf.certifications, mf.carbs_g, mf.sodium_mg, mf.protein_g, mf.fat_g,
             mf.trace_allergen_ids as trace_ids, mf.location,
             not mf.available as unavailable, not mf.restaurant_active as inactive,
             mf.meal_id = any (p.reacted) as reacted, p.any_strict and not mf.listed as incomplete,
             (mf.contains_mask & p.contains_mask <> 0
              or mf.trace_mask & p.trace_mask <> 0
              or mf.traits_mask & p.traits_mask <> 0
              or (p.needs_classified and not (mf.listed and not mf.unclassified))
              or (p.needs_cert and not (mf.certifications @> p.certifications))
              or (p.max_carbs is not null and not coalesce(mf.carbs_g <= p.max_carbs, false))
              or (p.max_sodium is not null and not coalesce(mf.sodium_mg <= p.max_sodium, false))
              or (p.max_protein is not null and not coalesce(mf.protein_g <= p.max_protein, false))
              or (p.max_fat is not null and not coalesce(mf.fat_g <= p.max_fat, false))) as ruled
      from public.meal_facts mf cross join person p
      where (mf.location <@ p_box or mf.location <@ p_other_box)
        -- within the distance: the dot product of unit vectors decides every meal but those within a
        -- hair (1e-9 of the cosine, metres) of the circle, which public.distance_km decides as before
        and (mf.ux * p.cx + mf.uy * p.cy + mf.uz * p.cz >= p.cos_max + 1e-9
             or (mf.ux * p.cx + mf.uy * p.cy + mf.uz * p.cz >= p.cos_max - 1e-9
                 and public.distance_km(mf.location, point(p_lon, p_lat)) <= p_max_km))
    ),
    tally as (
      select count(*)::int as considered,
             count(*) filter (where ruled or unavailable or inactive or reacted or incomplete)::int as hidden,
             count(*) filter (where unavailable)::int as unavailable,
             count(*) filter (where inactive)::int as inactive,
             count(*) filter (where reacted)::int as reacted,
             count(*) filter (where incomplete)::int as incomplete
      from base
    ),
    -- the meals some rule hides, grouped by all that the rules read of them: each rule's mask
    -- lies within the person's, so two meals alike here are alike for every rule; a nutrient is
    -- read as how many of the person's limits for it the meal keeps (a meal keeps a limit when
    -- it keeps every larger one), and certifications only when some rule needs one
    hidden as (
      select b.contains_mask & p.contains_mask as contains_mask, b.trace_mask & p.trace_mask as trace_mask,
             b.traits_mask & p.traits_mask as traits_mask,
             case when p.needs_cert then b.certifications end as certifications,
             -- the rest packed in one bigint, which hashes once: bit 0 whether the ingredients are
             -- classified (read only when some rule needs it), then 12 bits for each nutrient's
             -- count of limits kept (a person has a few limits of a nutrient, never 4,096)
             (case when p.needs_classified and b.listed and not b.unclassified then 1 else 0 end
              | case when p.has_carbs then coalesce(width_bucket(-b.carbs_g, p.carbs_limits), 0)::bigint << 1 else 0 end
              | case when p.has_sodium then coalesce(width_bucket(-b.sodium_mg, p.sodium_limits), 0)::bigint << 13 else 0 end
              | case when p.has_protein then coalesce(width_bucket(-b.protein_g, p.protein_limits), 0)::bigint << 25 else 0 end
              | case when p.has_fat then coalesce(width_bucket(-b.fat_g, p.fat_limits), 0)::bigint << 37 else 0 end) as facts,
             count(*)::int as n
      from base b cross join person p
      where b.ruled
      group by 1, 2, 3, 4, 5
    ),
    -- each rule as the count above tests it: a rank for each nutrient limit it sets (null when
    -- none), and whether its masks alone decide it (most rules: an allergy's)
    rule_tests as (
      select r.key, r.contains_mask, r.trace_mask, r.traits_mask, r.needs_classified, r.certification,
             width_bucket(-r.max_carbs, p.carbs_limits) as carbs_rank,
             width_bucket(-r.max_sodium, p.sodium_limits) as sodium_rank,
             width_bucket(-r.max_protein, p.protein_limits) as protein_rank,
             width_bucket(-r.max_fat, p.fat_limits) as fat_rank,
             not (r.needs_classified or r.certification is not null or r.max_carbs is not null
                  or r.max_sodium is not null or r.max_protein is not null or r.max_fat is not null) as masks_only
      from rules r cross join person p
    ),
    -- the eligible meals nearest first, at most p_limit of them: the ranking reads these
    nearest as (
      select b.id, b.restaurant_id, b.listed, b.trace_ids,
             public.distance_km(b.location, point(p_lon, p_lat)) as km
      from base b
      where not (b.ruled or b.unavailable or b.inactive or b.reacted or b.incomplete)
      order by km, b.id
      limit p_limit
    ),
    shown as (
      select b.id, b.km, b.listed, b.trace_ids, m.name, m.description, m.category, m.price::float8 as price,
             m.calories, m.protein_g::float8 as protein_g, m.carbs_g::float8 as carbs_g, m.fat_g::float8 as fat_g,
             m.fiber_g::float8 as fiber_g, m.sodium_mg, r.id as restaurant_id, r.name as restaurant_name,
             r.cuisine_type, r.price_range
      from nearest b
      join public.meals m on m.id = b.id
      join public.restaurants r on r.id = b.restaurant_id
    )
    select jsonb_build_object(
      'considered', t.considered, 'hidden', t.hidden,
      'left_out', coalesce((
        select jsonb_object_agg(reason, n) from (
          select reason, n from (values ('unavailable', t.unavailable), ('restaurant_inactive', t.inactive),
                                        ('reaction', t.reacted), ('incomplete_ingredients', t.incomplete)) v (reason, n)
          where n > 0
          union all
          -- each rule with the meals it hides: those it breaks, or cannot be shown to keep
          select r.key, sum(h.n)::int
          -- (a rule's limit is the k-th largest of the person's; a meal keeping fewer breaks it)
          from hidden h join rule_tests r on (
               ((h.contains_mask & r.contains_mask) | (h.trace_mask & r.trace_mask) | (h.traits_mask & r.traits_mask)) <> 0
            or (not r.masks_only and (
                 (r.needs_classified and h.facts & 1 = 0)
              or (r.certification is not null and not (r.certification = any (h.certifications)))
              or (h.facts >> 1) & 4095 < r.carbs_rank
              or (h.facts >> 13) & 4095 < r.sodium_rank
              or (h.facts >> 25) & 4095 < r.protein_rank
              or (h.facts >> 37) & 4095 < r.fat_rank)))
          group by r.key
        ) s
      ), '{}'),
      'eligible', coalesce((
        select jsonb_agg(jsonb_build_object(
          'id', c.id, 'name', c.name, 'description', c.description, 'category', c.category,
          'price', c.price, 'calories', c.calories, 'protein_g', c.protein_g, 'carbs_g', c.carbs_g,
          'fat_g', c.fat_g, 'fiber_g', c.fiber_g, 'sodium_mg', c.sodium_mg,
          'ingredients_complete', c.listed, 'restaurant_id', c.restaurant_id,
          'restaurant_name', c.restaurant_name, 'cuisine_type', c.cuisine_type, 'price_range', c.price_range,
          'km', c.km,
          'warns', array(
            select distinct x.key from exclusions x
            where x.key like 'allergy:%' and not x.strict and x.allergen_id = any (c.trace_ids)
          ),
          'tags', case when p_with_wellness_tags then coalesce((
            select jsonb_agg(jsonb_build_object(
              'tag', t.tag_name, 'tag_id', t.id, 'effectiveness', t.effectiveness_rating::float8,
              'confidence', ft.confidence_score::float8, 'verified', ft.verified))
            from health.food_tags ft join health.health_tags t on t.id = ft.tag_id
            where ft.food_id = c.id and t.is_active
          ), '[]') else '[]' end
        ))
        from shown c
      ), '[]'))
    from tally t);
end
$$;

