-- The catalogue as the API serves it: great-circle nearest-first search, restaurants' own time
-- zones and a defined opening-hours format, full-text search over meals, natural keys for the
-- bulk import, and administrators maintaining it through their own signed-in requests (audited).
--
-- Why:
-- * `location <-> point(lon, lat)` orders by planar distance in degrees: wrong near the poles
--   (a degree of longitude shrinks to nothing) and across the antimeridian (179.9 and -179.9 are
--   359.8 "degrees" apart). `position` is the unit vector of the coordinates (cube extension, on
--   RDS and PGlite alike); the straight-line (chord) distance between two unit vectors grows
--   strictly with the great-circle distance, so the GiST KNN scan `position <-> earth_position(..)`
--   gives exactly great-circle order, and `position <@ cube_enlarge(..)` bounds it by radius.
-- * Opening hours had no format and no time zone, so "open now" could not be answered.
-- * Doc 5.1 names a GIN full-text index on meal descriptions; none existed.
-- * The catalogue had no row-level security because only eatsential_admin could write it;
--   administrators now write it from the API (eatsential_write), so writes are confined by
--   policy to administrators (auth.current_user_is_admin()) and every change is audited.

create extension if not exists cube with schema public;

create function public.earth_position(p_latitude double precision, p_longitude double precision)
returns public.cube
language sql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    select public.cube(array[
        pg_catalog.cos(pg_catalog.radians(p_latitude)) * pg_catalog.cos(pg_catalog.radians(p_longitude)),
        pg_catalog.cos(pg_catalog.radians(p_latitude)) * pg_catalog.sin(pg_catalog.radians(p_longitude)),
        pg_catalog.sin(pg_catalog.radians(p_latitude))
    ])
$$;

comment on function public.earth_position(double precision, double precision) is
    'Unit vector (x, y, z) of a latitude and longitude. Chord distance (cube <->) between two of them orders exactly as great-circle distance; km = 2 * 6371.0088 * asin(chord / 2).';

revoke execute on function public.earth_position(double precision, double precision) from public;
grant execute on function public.earth_position(double precision, double precision) to eatsential_read, eatsential_admin;

alter table public.restaurants
    add column position public.cube generated always as (
        public.earth_position(latitude::double precision, longitude::double precision)
    ) stored;

create index restaurants_position_idx on public.restaurants using gist (position);

comment on column public.restaurants.position is
    'Unit vector of (latitude, longitude), GiST-indexed: order by position <-> earth_position(lat, lon) is nearest first by great-circle distance.';

-- Opening hours: {"mon-fri": "08:00-20:00", "sat": "10:00-14:00, 18:00-02:00", "daily": ...}.
-- Keys: daily, a day (mon..sun) or a range of days (fri-mon wraps round the week); each day is
-- named by at most one key. Values: one or more HH:MM-HH:MM spans, comma-separated; a span whose
-- closing time is not after its opening time runs past midnight into the next day; 24:00 closes
-- at the end of the day. Days no key names are closed. Times are the restaurant's wall clock.
create function public.opening_hours_days(p_key text)
returns smallint[]
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
    v_days constant text[] := array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    v_from integer;
    v_to integer;
    v_out smallint[] := '{}';
begin
    if p_key = 'daily' then
        return array[1, 2, 3, 4, 5, 6, 7]::smallint[];
    end if;
    if p_key ~ '^[a-z]{3}$' then
        v_from := pg_catalog.array_position(v_days, p_key);
        return case when v_from is null then null else array[v_from]::smallint[] end;
    end if;
    if p_key !~ '^[a-z]{3}-[a-z]{3}$' then
        return null;
    end if;
    v_from := pg_catalog.array_position(v_days, pg_catalog.left(p_key, 3));
    v_to := pg_catalog.array_position(v_days, pg_catalog.right(p_key, 3));
    if v_from is null or v_to is null or v_from = v_to then
        return null;
    end if;
    loop
        v_out := v_out || v_from::smallint;
        exit when v_from = v_to;
        v_from := v_from % 7 + 1;
    end loop;
    return v_out;
end;
$$;

comment on function public.opening_hours_days(text) is
    'ISO weekdays (1 = Monday) an opening-hours key names: daily, mon..sun, or a range such as mon-fri or fri-mon; NULL for anything else.';

create function public.opening_hours_valid(p_hours jsonb)
returns boolean
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    select p_hours is null or (
        pg_catalog.jsonb_typeof(p_hours) = 'object'
        and not exists (
            select 1
            from pg_catalog.jsonb_each(p_hours) e
            where public.opening_hours_days(e.key) is null
               or pg_catalog.jsonb_typeof(e.value) <> 'string'
               or not ((e.value #>> '{}') ~ '^\s*(([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00))(\s*,\s*([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00))*\s*$')
        )
        and (
            select pg_catalog.count(*) = pg_catalog.count(distinct d)
            from pg_catalog.jsonb_object_keys(p_hours) k, pg_catalog.unnest(public.opening_hours_days(k)) d
        )
        and not exists (
            select 1
            from pg_catalog.jsonb_each_text(p_hours) e,
                 pg_catalog.regexp_split_to_table(pg_catalog.btrim(e.value), '\s*,\s*') s
            where pg_catalog.split_part(s, '-', 1) = pg_catalog.split_part(s, '-', 2)
        )
    )
$$;

comment on function public.opening_hours_valid(jsonb) is
    'true when opening hours are NULL or in the catalogue format (sql/README.md, restaurants): known day keys naming each day at most once, HH:MM-HH:MM spans, none empty.';

create function public.opening_hours_open_at(p_hours jsonb, p_local timestamp)
returns boolean
language sql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    select case when p_hours is null or p_local is null then null else exists (
        select 1
        from pg_catalog.jsonb_each_text(p_hours) e,
             pg_catalog.unnest(public.opening_hours_days(e.key)) d,
             pg_catalog.regexp_split_to_table(pg_catalog.btrim(e.value), '\s*,\s*') s,
             lateral (select pg_catalog.split_part(s, '-', 1) as opens, pg_catalog.split_part(s, '-', 2) as closes) t,
             lateral (select pg_catalog.to_char(p_local, 'HH24:MI') as now_hm,
                             pg_catalog.date_part('isodow', p_local)::smallint as today,
                             pg_catalog.date_part('isodow', p_local - interval '1 day')::smallint as yesterday) c
        where (d = c.today and c.now_hm >= t.opens and (t.closes <= t.opens or c.now_hm < t.closes))
           or (d = c.yesterday and t.closes <= t.opens and c.now_hm < t.closes)
    ) end
$$;

comment on function public.opening_hours_open_at(jsonb, timestamp) is
    'Whether opening hours (catalogue format) are open at a wall-clock time of the restaurant: spans past midnight count on the next day. NULL when hours or time are unknown. Use with (instant at time zone restaurants.time_zone), which also handles daylight-saving changes.';

revoke execute on function public.opening_hours_days(text) from public;
revoke execute on function public.opening_hours_valid(jsonb) from public;
revoke execute on function public.opening_hours_open_at(jsonb, timestamp) from public;
grant execute on function public.opening_hours_days(text), public.opening_hours_valid(jsonb),
    public.opening_hours_open_at(jsonb, timestamp) to eatsential_read, eatsential_admin;

alter table public.restaurants
    add column time_zone varchar(64),
    add constraint restaurants_hours_format_check check (public.opening_hours_valid(hours)),
    add constraint restaurants_natural_key unique (country, city, address, name);

comment on column public.restaurants.time_zone is 'IANA zone of the restaurant; its opening hours are wall-clock times there. NULL: unknown, never "open now".';
comment on column public.restaurants.hours is 'Opening hours in the catalogue format (public.opening_hours_valid); NULL: unknown.';

-- Checked once per statement from its transition table: pg_timezone_names reads the whole time
-- zone database (tens of milliseconds or more), too slow once per row of a catalogue import.
create function public.check_restaurant_time_zones()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_zone text;
begin
    select n.time_zone into v_zone
    from new_rows n
    where n.time_zone is not null and n.time_zone <> 'UTC'
      and not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = n.time_zone)
    limit 1;
    if found then
        raise exception using
            errcode = 'check_violation',
            constraint = 'restaurants_time_zone_check',
            schema = tg_table_schema,
            table = tg_table_name,
            column = 'time_zone',
            message = format('%L is not a known time zone', v_zone);
    end if;
    return null;
end;
$$;

comment on function public.check_restaurant_time_zones() is
    'AFTER INSERT/UPDATE statement trigger (transition table new_rows): refuses a time zone the server does not know (SQLSTATE 23514, constraint restaurants_time_zone_check).';

revoke execute on function public.check_restaurant_time_zones() from public;

create trigger check_restaurants_time_zone_inserts
    after insert on public.restaurants
    referencing new table as new_rows
    for each statement
    execute function public.check_restaurant_time_zones();
create trigger check_restaurants_time_zone_updates
    after update on public.restaurants
    referencing new table as new_rows
    for each statement
    execute function public.check_restaurant_time_zones();

-- Full-text search over meal names (weight A) and descriptions (weight B), doc 5.1.
alter table public.meals
    add column search_vector tsvector generated always as (
        pg_catalog.setweight(pg_catalog.to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
        || pg_catalog.setweight(pg_catalog.to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
    ) stored,
    add constraint meals_restaurant_id_name_key unique (restaurant_id, name);

create index meals_search_vector_idx on public.meals using gin (search_vector);

comment on column public.meals.search_vector is 'English full-text vector of name (A) and description (B), GIN-indexed: search_vector @@ websearch_to_tsquery(''english'', ...).';

-- Row-level security: everyone reads the catalogue; administrators' requests and jobs write it.
alter table public.restaurants enable row level security;
alter table public.meals enable row level security;
alter table public.ingredients enable row level security;
alter table public.meal_ingredients enable row level security;
alter table health.food_tags enable row level security;

create policy "everyone reads restaurants" on public.restaurants for select to eatsential_read, eatsential_admin using (true);
create policy "administrators add restaurants" on public.restaurants for insert to eatsential_write with check ((select auth.current_user_is_admin()));
create policy "administrators change restaurants" on public.restaurants for update to eatsential_write using ((select auth.current_user_is_admin())) with check ((select auth.current_user_is_admin()));
create policy "jobs add restaurants" on public.restaurants for insert to eatsential_admin with check (true);
create policy "jobs change restaurants" on public.restaurants for update to eatsential_admin using (true) with check (true);
create policy "jobs delete restaurants" on public.restaurants for delete to eatsential_admin using (true);

create policy "everyone reads meals" on public.meals for select to eatsential_read, eatsential_admin using (true);
create policy "administrators add meals" on public.meals for insert to eatsential_write with check ((select auth.current_user_is_admin()));
create policy "administrators change meals" on public.meals for update to eatsential_write using ((select auth.current_user_is_admin())) with check ((select auth.current_user_is_admin()));
create policy "jobs add meals" on public.meals for insert to eatsential_admin with check (true);
create policy "jobs change meals" on public.meals for update to eatsential_admin using (true) with check (true);
create policy "jobs delete meals" on public.meals for delete to eatsential_admin using (true);

create policy "everyone reads ingredients" on public.ingredients for select to eatsential_read, eatsential_admin using (true);
create policy "administrators add ingredients" on public.ingredients for insert to eatsential_write with check ((select auth.current_user_is_admin()));
create policy "administrators change ingredients" on public.ingredients for update to eatsential_write using ((select auth.current_user_is_admin())) with check ((select auth.current_user_is_admin()));
create policy "jobs add ingredients" on public.ingredients for insert to eatsential_admin with check (true);
create policy "jobs change ingredients" on public.ingredients for update to eatsential_admin using (true) with check (true);
create policy "jobs delete ingredients" on public.ingredients for delete to eatsential_admin using (true);

create policy "everyone reads meal ingredients" on public.meal_ingredients for select to eatsential_read, eatsential_admin using (true);
create policy "administrators add meal ingredients" on public.meal_ingredients for insert to eatsential_write with check ((select auth.current_user_is_admin()));
create policy "administrators change meal ingredients" on public.meal_ingredients for update to eatsential_write using ((select auth.current_user_is_admin())) with check ((select auth.current_user_is_admin()));
create policy "administrators remove meal ingredients" on public.meal_ingredients for delete to eatsential_write using ((select auth.current_user_is_admin()));
create policy "jobs add meal ingredients" on public.meal_ingredients for insert to eatsential_admin with check (true);
create policy "jobs change meal ingredients" on public.meal_ingredients for update to eatsential_admin using (true) with check (true);
create policy "jobs delete meal ingredients" on public.meal_ingredients for delete to eatsential_admin using (true);

create policy "everyone reads food tags" on health.food_tags for select to eatsential_read, eatsential_admin using (true);
create policy "administrators add food tags" on health.food_tags for insert to eatsential_write with check ((select auth.current_user_is_admin()));
create policy "administrators change food tags" on health.food_tags for update to eatsential_write using ((select auth.current_user_is_admin())) with check ((select auth.current_user_is_admin()));
create policy "administrators remove food tags" on health.food_tags for delete to eatsential_write using ((select auth.current_user_is_admin()));
create policy "jobs add food tags" on health.food_tags for insert to eatsential_admin with check (true);
create policy "jobs change food tags" on health.food_tags for update to eatsential_admin using (true) with check (true);
create policy "jobs delete food tags" on health.food_tags for delete to eatsential_admin using (true);

-- Administrators deactivate restaurants and meals (is_active, is_available) rather than delete
-- them: recommendations and feedback keep pointing at them.
grant insert, update on public.restaurants, public.meals, public.ingredients to eatsential_write;
grant insert, update, delete on public.meal_ingredients, health.food_tags to eatsential_write;

-- Every change of the catalogue, by whom (app.current_user_id) and as which role, into
-- audit.data_changes like audit_changes() writes it, but once per statement from its transition
-- tables: a row trigger costs about 0.4 ms a row, and a catalogue import writes hundreds of
-- thousands of rows. Argument 1: the key columns pairing old and new rows of an UPDATE (keys are
-- never updated); the others: columns left out of the copies.
create function public.audit_catalogue_changes()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_keys text[] := pg_catalog.string_to_array(tg_argv[0], ',');
    v_strip text[] := coalesce(tg_argv[1:], '{}'::text[]);
    v_user uuid := auth.current_user_id();
    v_role text := pg_catalog.current_setting('role');
begin
    if tg_op = 'INSERT' then
        insert into audit.data_changes (schema_name, table_name, operation, user_id, db_role, record_id, new_data)
        select tg_table_schema, tg_table_name, tg_op, v_user, v_role, (n.j ->> 'id')::uuid, n.j - v_strip
        from (select pg_catalog.to_jsonb(x) as j from new_rows x) n;
    elsif tg_op = 'DELETE' then
        insert into audit.data_changes (schema_name, table_name, operation, user_id, db_role, record_id, old_data)
        select tg_table_schema, tg_table_name, tg_op, v_user, v_role, (o.j ->> 'id')::uuid, o.j - v_strip
        from (select pg_catalog.to_jsonb(x) as j from old_rows x) o;
    else
        insert into audit.data_changes (schema_name, table_name, operation, user_id, db_role, record_id, old_data, new_data)
        select tg_table_schema, tg_table_name, tg_op, v_user, v_role, (n.j ->> 'id')::uuid, o.j - v_strip, n.j - v_strip
        from (select x.j, (select pg_catalog.array_agg(x.j ->> k order by k) from pg_catalog.unnest(v_keys) k) as key
              from (select pg_catalog.to_jsonb(y) as j from new_rows y) x) n
        join (select x.j, (select pg_catalog.array_agg(x.j ->> k order by k) from pg_catalog.unnest(v_keys) k) as key
              from (select pg_catalog.to_jsonb(y) as j from old_rows y) x) o on o.key = n.key;
    end if;
    return null;
end;
$$;

comment on function public.audit_catalogue_changes() is
    'AFTER ... FOR EACH STATEMENT trigger with transition tables old_rows/new_rows: writes audit.data_changes for every row a statement changed. Arguments: key columns (comma-separated), then columns to strip.';

revoke execute on function public.audit_catalogue_changes() from public;

do $$
declare
    t record;
begin
    for t in
        select * from (values
            ('public', 'restaurants', 'id', null),
            ('public', 'meals', 'id', 'search_vector'),
            ('public', 'ingredients', 'id', null),
            ('public', 'meal_ingredients', 'meal_id,ingredient_id', null),
            ('health', 'food_tags', 'id', null)
        ) as v (schema_name, table_name, keys, strip)
    loop
        execute format(
            'create trigger audit_%1$s_inserts after insert on %2$I.%1$I referencing new table as new_rows
                 for each statement execute function public.audit_catalogue_changes(%3$L%4$s)',
            t.table_name, t.schema_name, t.keys, coalesce(', ' || pg_catalog.quote_literal(t.strip), ''));
        execute format(
            'create trigger audit_%1$s_updates after update on %2$I.%1$I referencing old table as old_rows new table as new_rows
                 for each statement execute function public.audit_catalogue_changes(%3$L%4$s)',
            t.table_name, t.schema_name, t.keys, coalesce(', ' || pg_catalog.quote_literal(t.strip), ''));
        execute format(
            'create trigger audit_%1$s_deletes after delete on %2$I.%1$I referencing old table as old_rows
                 for each statement execute function public.audit_catalogue_changes(%3$L%4$s)',
            t.table_name, t.schema_name, t.keys, coalesce(', ' || pg_catalog.quote_literal(t.strip), ''));
    end loop;
end;
$$;
