-- Undo create_restaurant_catalogue.

drop function public.is_meal_safe_for_user(uuid, uuid);
drop table health.food_tags;
drop table public.meal_ingredients;
drop table public.ingredients;
drop table public.meals;
drop function public.distance_km(point, point);
drop table public.restaurants;
