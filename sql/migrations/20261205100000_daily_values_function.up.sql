-- The daily series of GET /me/insights and goal progress as a PL/pgSQL function.
--
-- Why: the statement wellness/queries.ts sent (four CTEs, their union of days, four joins back)
-- was planned again on every request, since statements are sent unnamed: on the generated data of
-- `npm run bench:data`, planning took 2.4-3.4 ms beside 5.1-5.5 ms of execution for a person with
-- a year of daily logs. A PL/pgSQL function keeps its plan for the life of the connection
-- (plan_cache_mode = force_generic_plan: the plan depends on no value, only on the caller's own
-- rows under row-level security and the two dates). The statement is also simpler: every entry
-- of the four tables in one UNION ALL, grouped once by day, instead of four groupings, a union of
-- their days and four merge joins (execution 4.4-4.7 ms on the same data).
--
-- Same answer as before: one row per local day of [p_from, p_to] with any entry; mood, energy and
-- stress are the day's means (numeric averages of the integers, as float8), sleep the night ending
-- that morning (one per day: uq_user_sleep_date), mindfulness the day's minutes, entries how many
-- rows went into the day. Runs as the caller (security invoker): row-level security limits every
-- table to the caller's own rows.

create function health.daily_values(p_from date, p_to date)
returns table (
    day text,
    mood double precision,
    energy double precision,
    stress double precision,
    sleep_duration double precision,
    sleep_quality double precision,
    mindfulness_minutes double precision,
    entries integer
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    select e.day::text, avg(e.mood)::float8, avg(e.energy)::float8, avg(e.stress)::float8,
           max(e.sleep_duration), max(e.sleep_quality), sum(e.minutes)::float8, count(*)::int
    from (
      select m.local_date as day, m.mood_score::integer as mood, m.energy_level::integer as energy,
             null::integer as stress, null::float8 as sleep_duration, null::float8 as sleep_quality,
             null::integer as minutes
      from health.mood_logs m where m.local_date between p_from and p_to
      union all
      select s.local_date, null, null, s.stress_level, null, null, null
      from health.stress_logs s where s.local_date between p_from and p_to
      union all
      select z.sleep_date, null, null, null, z.duration_hours::float8, z.quality_score::float8, null
      from health.sleep_logs z where z.sleep_date between p_from and p_to
      union all
      select ms.local_date, null, null, null, null, null, ms.duration_minutes
      from health.mindfulness_sessions ms where ms.local_date between p_from and p_to
    ) e
    group by e.day
    order by e.day;
end
$$;

comment on function health.daily_values(date, date) is
    'For GET /me/insights and goal progress: one row per local day of [p_from, p_to] with any mood, stress, sleep or mindfulness entry of the caller: the day''s mean mood, energy and stress, the night ending that morning, the minutes of mindfulness and how many rows went into the day. Runs as the caller, under row-level security; plan cached per connection.';

revoke execute on function health.daily_values(date, date) from public;
grant execute on function health.daily_values(date, date) to eatsential_read;
