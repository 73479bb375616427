-- The restaurant catalogue: restaurants, meals, ingredients and their allergens, health tags on
-- meals (doc 4.4, 9.5 food_tags), and is_meal_safe_for_user (doc 7.2).
--
-- Why the differences from the doc:
-- * restaurants: the GiST index on ST_MakePoint needed PostGIS, which we do not use (PGlite and
--   RDS alike run plain PostgreSQL). location is a native point generated from longitude and
--   latitude, GiST-indexed, so `order by location <-> point(lon, lat)` is a KNN index scan.
--   chk_coordinates let a row through with one coordinate NULL; both or neither now.
-- * food_tags.food_id had no foreign key, so a tag could point at nothing; it tags meals and
--   references public.meals (deleted with the meal). The column keeps the doc's name.
-- * is_meal_safe_for_user ignored MILD/MODERATE allergies even when an ingredient contains the
--   allergen, and called a meal with no known ingredients safe; see the function's comment.
-- Catalogue tables are readable by every signed-in request and maintained by operators
-- (eatsential_admin); they hold no user data, so they have no row-level security.

create table public.restaurants (
    id uuid primary key default gen_random_uuid(),
    name varchar(255) not null,
    cuisine_type varchar(50),
    address text not null,
    city varchar(100) not null,
    state varchar(50) not null,
    zip_code varchar(10) not null,
    country varchar(2) not null default 'US',
    latitude numeric(10, 8),
    longitude numeric(11, 8),
    location point generated always as (point(longitude::double precision, latitude::double precision)) stored,
    phone varchar(20),
    website varchar(255),
    hours jsonb,
    rating numeric(2, 1),
    price_range integer,
    is_active boolean not null default true,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint chk_rating_range check (rating between 0 and 5),
    constraint chk_price_range check (price_range between 1 and 4),
    constraint chk_coordinates check (
        (latitude is null) = (longitude is null)
        and (latitude is null or (latitude between -90 and 90 and longitude between -180 and 180))
    ),
    constraint restaurants_country_check check (country ~ '^[A-Z]{2}$'),
    constraint restaurants_hours_check check (jsonb_typeof(hours) = 'object')
);

create index idx_restaurants_location on public.restaurants using gist (location);
create index restaurants_city_idx on public.restaurants (city);

comment on table public.restaurants is
    'Restaurants. location = point(longitude, latitude), generated; nearest first: order by location <-> point(lon, lat), then public.distance_km for kilometres.';

create trigger update_restaurants_updated_at
    before update on public.restaurants
    for each row
    execute function public.update_updated_at_column();

-- Great-circle distance (haversine, mean Earth radius) between two point(longitude, latitude).
create function public.distance_km(p_from point, p_to point)
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

comment on function public.distance_km(point, point) is
    'Great-circle distance in km between two point(longitude, latitude). The <-> operator orders by degrees (for the index); this gives kilometres.';

revoke execute on function public.distance_km(point, point) from public;
grant execute on function public.distance_km(point, point) to eatsential_read, eatsential_admin;

create table public.meals (
    id uuid primary key default gen_random_uuid(),
    restaurant_id uuid not null references public.restaurants (id) on delete cascade,
    name varchar(255) not null,
    description text,
    category varchar(50),
    price numeric(10, 2) not null,
    calories integer,
    protein_g numeric(5, 1),
    carbs_g numeric(5, 1),
    fat_g numeric(5, 1),
    fiber_g numeric(5, 1),
    sodium_mg integer,
    image_url varchar(500),
    is_available boolean not null default true,
    ingredients_complete boolean not null default false,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint meals_id_restaurant_id_key unique (id, restaurant_id),
    constraint chk_price_positive check (price > 0),
    constraint chk_calories_range check (calories between 0 and 5000),
    constraint chk_nutrients_positive check (
        protein_g >= 0 and carbs_g >= 0 and fat_g >= 0 and fiber_g >= 0
    ),
    constraint meals_sodium_mg_check check (sodium_mg >= 0)
);

create index idx_meals_restaurant_id on public.meals (restaurant_id);
create index idx_meals_calories on public.meals (calories);
create index idx_meals_available on public.meals (is_available);
create index idx_meals_search on public.meals (restaurant_id, is_available, calories);

comment on table public.meals is
    'Meals a restaurant offers. ingredients_complete: the restaurant declared its full ingredient list (needed before a meal is called safe for a severe allergy).';

create trigger update_meals_updated_at
    before update on public.meals
    for each row
    execute function public.update_updated_at_column();

create table public.ingredients (
    id uuid primary key default gen_random_uuid(),
    name varchar(100) not null,
    allergen_id uuid references health.allergens (id),
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint ingredients_name_key unique (name)
);

create index ingredients_allergen_id_idx on public.ingredients (allergen_id);

comment on table public.ingredients is
    'Ingredients, each with the allergen it is or carries (NULL: none known). Tag the most specific allergen: wheat flour is Wheat, barley is Cereals containing gluten.';

create trigger update_ingredients_updated_at
    before update on public.ingredients
    for each row
    execute function public.update_updated_at_column();

create table public.meal_ingredients (
    meal_id uuid not null references public.meals (id) on delete cascade,
    ingredient_id uuid not null references public.ingredients (id),
    presence varchar(20) not null default 'contains',
    created_at timestamptz not null default current_timestamp,

    constraint meal_ingredients_pkey primary key (meal_id, ingredient_id),
    constraint meal_ingredients_presence_check check (presence in ('contains', 'may_contain'))
);

create index meal_ingredients_ingredient_id_idx on public.meal_ingredients (ingredient_id);

comment on table public.meal_ingredients is
    'What a meal is made of: contains, or may_contain (cross-contact, "may contain traces of").';

create table health.food_tags (
    id uuid primary key default gen_random_uuid(),
    food_id uuid not null references public.meals (id) on delete cascade,
    tag_id uuid not null references health.health_tags (id) on delete cascade,
    confidence_score numeric(3, 2) not null default 0.80,
    source varchar(50) not null,
    verified boolean not null default false,
    notes text,
    created_at timestamptz not null default current_timestamp,

    constraint chk_confidence_score check (confidence_score between 0.0 and 1.0),
    constraint chk_source check (source in ('research_paper', 'nutritionist', 'ai_analysis', 'user_feedback', 'database_import')),
    constraint uq_food_tag unique (food_id, tag_id)
);

create index idx_food_tags_food_id on health.food_tags (food_id);
create index idx_food_tags_tag_id on health.food_tags (tag_id);
create index idx_food_tags_verified on health.food_tags (verified) where verified = true;
create index idx_food_tags_confidence on health.food_tags (confidence_score desc);

comment on table health.food_tags is 'Health tags on meals (food_id references public.meals).';

grant select on public.restaurants, public.meals, public.ingredients, public.meal_ingredients, health.food_tags
    to eatsential_read, eatsential_admin;
grant insert, update, delete on public.restaurants, public.meals, public.ingredients, public.meal_ingredients, health.food_tags
    to eatsential_admin;

create function public.is_meal_safe_for_user(p_user_id uuid, p_meal_id uuid)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_complete boolean;
    v_has_ingredients boolean;
begin
    -- A user or meal this transaction cannot see is a missing fact, and a missing fact is not safe.
    if not exists (select 1 from public.users u where u.id = p_user_id) then
        return false;
    end if;

    select m.ingredients_complete,
           exists (select 1 from public.meal_ingredients mi where mi.meal_id = m.id)
    into v_complete, v_has_ingredients
    from public.meals m
    where m.id = p_meal_id;
    if not found then
        return false;
    end if;

    -- An ingredient carrying one of the user's allergens, or a member of an allergen group the
    -- user has at any depth (Spelt under Wheat under Cereals containing gluten): 'contains' at
    -- any severity, 'may_contain' at SEVERE or LIFE_THREATENING. UNION (not UNION ALL) ends the
    -- walk even if the catalogue ever held a cycle.
    if exists (
        with recursive lineage (allergen_id, ancestor_id) as (
            select i.allergen_id, i.allergen_id
            from public.meal_ingredients mi
            join public.ingredients i on i.id = mi.ingredient_id
            where mi.meal_id = p_meal_id and i.allergen_id is not null
          union
            select l.allergen_id, a.parent_id
            from lineage l
            join health.allergens a on a.id = l.ancestor_id
            where a.parent_id is not null
        )
        select 1
        from public.meal_ingredients mi
        join public.ingredients i on i.id = mi.ingredient_id
        join lineage l on l.allergen_id = i.allergen_id
        join public.user_allergies ua on ua.user_id = p_user_id and ua.allergen_id = l.ancestor_id
        where mi.meal_id = p_meal_id
          and (mi.presence = 'contains' or ua.severity in ('SEVERE', 'LIFE_THREATENING'))
    ) then
        return false;
    end if;

    -- A severe allergy needs the whole ingredient list.
    if exists (
        select 1 from public.user_allergies ua
        where ua.user_id = p_user_id and ua.severity in ('SEVERE', 'LIFE_THREATENING')
    ) and not (v_complete and v_has_ingredients) then
        return false;
    end if;

    return true;
end;
$$;

comment on function public.is_meal_safe_for_user(uuid, uuid) is
    'false when: the user or meal is not visible to the caller; an ingredient contains an allergen the user has (any severity; an allergy to a group such as Cereals containing gluten covers its members such as Wheat, at any depth); an ingredient may contain an allergen the user has at SEVERE or LIFE_THREATENING; or the user has any SEVERE/LIFE_THREATENING allergy and the meal has no ingredients or ingredients_complete is false. Otherwise true, including may_contain of a MILD/MODERATE allergen, which the API flags. SECURITY INVOKER: row-level security limits a user to their own allergies.';

revoke execute on function public.is_meal_safe_for_user(uuid, uuid) from public;
grant execute on function public.is_meal_safe_for_user(uuid, uuid) to eatsential_read, eatsential_admin;
