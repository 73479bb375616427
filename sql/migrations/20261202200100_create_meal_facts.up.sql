-- public.meal_facts: what a meal's ingredient list says, one row per meal, kept by triggers.
--
-- Why: the recommendation filter decides every meal within a person's distance (a few thousand in
-- a city) against their allergies and diets. Reading ten meal_ingredients rows and their
-- ingredients per meal costs a few hundred milliseconds for such a page; one row per meal with
-- the allergens it contains or may contain and the diet traits of what it contains makes the same
-- decision from arrays (sql/README.md §9). The facts are derived, never written by the API: the
-- triggers refresh a meal's row whenever its ingredient links, or an ingredient's allergen or
-- traits, change. is_meal_safe_for_user (§4) still reads the links themselves.

create table public.meal_facts (
    meal_id uuid primary key references public.meals (id) on delete cascade,
    ingredient_count integer not null,
    contains_allergen_ids uuid[] not null,
    trace_allergen_ids uuid[] not null,
    contains_traits text[] not null,
    unclassified boolean not null,
    refreshed_at timestamptz not null default current_timestamp
);

comment on table public.meal_facts is
    'Derived from meal_ingredients and ingredients by triggers: ingredient_count, the allergens (as tagged on the ingredients, not their groups) it contains and may contain, the diet_traits of what it contains, and whether any ingredient is unclassified. Read by the recommendation filter.';

create function public.refresh_meal_facts(p_meal_ids uuid[])
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

comment on function public.refresh_meal_facts(uuid[]) is
    'Recomputes public.meal_facts for these meals from their ingredient links (a meal that no longer exists loses its row).';

revoke execute on function public.refresh_meal_facts(uuid[]) from public;

create function public.meal_facts_after_links()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if tg_op = 'INSERT' then
        perform public.refresh_meal_facts(array(select distinct meal_id from new_links));
    elsif tg_op = 'DELETE' then
        perform public.refresh_meal_facts(array(select distinct meal_id from old_links));
    else
        perform public.refresh_meal_facts(array(
            select meal_id from new_links union select meal_id from old_links));
    end if;
    return null;
end;
$$;

create function public.meal_facts_after_ingredients()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.refresh_meal_facts(array(
        select distinct mi.meal_id
        from new_ingredients n
        join old_ingredients o on o.id = n.id
        join public.meal_ingredients mi on mi.ingredient_id = n.id
        where n.allergen_id is distinct from o.allergen_id or n.diet_traits is distinct from o.diet_traits));
    return null;
end;
$$;

create function public.meal_facts_after_meals()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.refresh_meal_facts(array(select id from new_meals));
    return null;
end;
$$;

revoke execute on function public.meal_facts_after_links() from public;
revoke execute on function public.meal_facts_after_ingredients() from public;
revoke execute on function public.meal_facts_after_meals() from public;

create trigger meal_facts_after_link_insert
    after insert on public.meal_ingredients
    referencing new table as new_links
    for each statement execute function public.meal_facts_after_links();
create trigger meal_facts_after_link_update
    after update on public.meal_ingredients
    referencing new table as new_links old table as old_links
    for each statement execute function public.meal_facts_after_links();
create trigger meal_facts_after_link_delete
    after delete on public.meal_ingredients
    referencing old table as old_links
    for each statement execute function public.meal_facts_after_links();
create trigger meal_facts_after_ingredient_update
    after update on public.ingredients
    referencing new table as new_ingredients old table as old_ingredients
    for each statement execute function public.meal_facts_after_ingredients();
create trigger meal_facts_after_meal_insert
    after insert on public.meals
    referencing new table as new_meals
    for each statement execute function public.meal_facts_after_meals();

select public.refresh_meal_facts(array(select id from public.meals));

grant select on public.meal_facts to eatsential_read, eatsential_admin;
