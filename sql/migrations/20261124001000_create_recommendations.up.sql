-- Recommendations, user preferences and feedback (doc 3.1 ER diagram: users receive
-- recommendations of meals from restaurants, have preferences, provide feedback; the doc gives no
-- DDL for them).
--
-- Why the shape: a recommendation names both the meal and its restaurant, so a composite foreign
-- key keeps the pair consistent with public.meals. Feedback may point at one of the user's own
-- recommendations (composite key with user_id); when that recommendation goes, the feedback stays
-- and only recommendation_id is cleared. One preferences row per user (user_id is the key).

create table public.recommendations (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    meal_id uuid not null,
    restaurant_id uuid not null references public.restaurants (id) on delete cascade,
    reason text,
    score numeric(4, 3),
    health_tag_id uuid references health.health_tags (id) on delete set null,
    status varchar(20) not null default 'shown',
    created_at timestamptz not null default current_timestamp,

    constraint recommendations_id_user_id_key unique (id, user_id),
    constraint recommendations_meal_id_restaurant_id_fkey foreign key (meal_id, restaurant_id)
        references public.meals (id, restaurant_id) on delete cascade,
    constraint recommendations_score_check check (score between 0 and 1),
    constraint recommendations_reason_check check (length(reason) <= 500),
    constraint recommendations_status_check check (status in ('shown', 'accepted', 'dismissed'))
);

create index recommendations_user_id_created_at_idx on public.recommendations (user_id, created_at desc);
create index recommendations_meal_id_restaurant_id_idx on public.recommendations (meal_id, restaurant_id);
create index recommendations_restaurant_id_idx on public.recommendations (restaurant_id);
create index recommendations_health_tag_id_idx on public.recommendations (health_tag_id);

comment on table public.recommendations is
    'Meals recommended to a user, why (reason, health tag), how strongly (score 0..1), and what the user did (shown, accepted, dismissed).';

create table public.user_preferences (
    user_id uuid primary key references public.users (id) on delete cascade,
    cuisines text[] not null default '{}',
    price_range integer,
    max_distance_km numeric(5, 1),
    notify_email boolean not null default true,
    notify_push boolean not null default true,
    notify_meal_reminders boolean not null default false,
    notify_wellness_check_ins boolean not null default false,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint user_preferences_cuisines_check check (cardinality(cuisines) <= 20),
    constraint user_preferences_price_range_check check (price_range between 1 and 4),
    constraint user_preferences_max_distance_km_check check (max_distance_km > 0 and max_distance_km <= 200)
);

comment on table public.user_preferences is
    'One row per user: preferred cuisines, highest price range (1-4, as restaurants.price_range), how far to go, notification settings.';

create trigger update_user_preferences_updated_at
    before update on public.user_preferences
    for each row
    execute function public.update_updated_at_column();

create table public.feedback (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.users (id) on delete cascade,
    recommendation_id uuid,
    meal_id uuid references public.meals (id) on delete set null,
    rating integer not null,
    comment text,
    created_at timestamptz not null default current_timestamp,

    constraint feedback_recommendation_id_user_id_fkey foreign key (recommendation_id, user_id)
        references public.recommendations (id, user_id) on delete set null (recommendation_id),
    constraint feedback_rating_check check (rating between 1 and 5),
    constraint feedback_comment_check check (length(comment) <= 1000)
);

create index feedback_user_id_created_at_idx on public.feedback (user_id, created_at desc);
create index feedback_recommendation_id_user_id_idx on public.feedback (recommendation_id, user_id);
create index feedback_meal_id_idx on public.feedback (meal_id);

comment on table public.feedback is 'Ratings (1-5) and comments of a user on a recommendation, a meal, or the app.';

alter table public.recommendations enable row level security;
alter table public.user_preferences enable row level security;
alter table public.feedback enable row level security;

create policy "users read their own recommendations" on public.recommendations
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users receive their own recommendations" on public.recommendations
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users respond to their own recommendations" on public.recommendations
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users delete their own recommendations" on public.recommendations
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all recommendations" on public.recommendations
    for select to eatsential_admin using (true);
create policy "jobs change any recommendation" on public.recommendations
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any recommendation" on public.recommendations
    for delete to eatsential_admin using (true);

create policy "users read their own preferences" on public.user_preferences
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users set their own preferences" on public.user_preferences
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own preferences" on public.user_preferences
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users delete their own preferences" on public.user_preferences
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all preferences" on public.user_preferences
    for select to eatsential_admin using (true);
create policy "jobs change any preferences" on public.user_preferences
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any preferences" on public.user_preferences
    for delete to eatsential_admin using (true);

create policy "users read their own feedback" on public.feedback
    for select to eatsential_read using (user_id = auth.current_user_id());
create policy "users give their own feedback" on public.feedback
    for insert to eatsential_write with check (user_id = auth.current_user_id());
create policy "users change their own feedback" on public.feedback
    for update to eatsential_write using (user_id = auth.current_user_id()) with check (user_id = auth.current_user_id());
create policy "users delete their own feedback" on public.feedback
    for delete to eatsential_write using (user_id = auth.current_user_id());
create policy "jobs read all feedback" on public.feedback
    for select to eatsential_admin using (true);
create policy "jobs change any feedback" on public.feedback
    for update to eatsential_admin using (true) with check (true);
create policy "jobs delete any feedback" on public.feedback
    for delete to eatsential_admin using (true);

grant select on public.recommendations, public.user_preferences, public.feedback to eatsential_read, eatsential_admin;
grant insert, update, delete on public.recommendations, public.user_preferences, public.feedback to eatsential_write;
grant update, delete on public.recommendations, public.user_preferences, public.feedback to eatsential_admin;
