-- Demo catalogue for local development (npm start): restaurants in Seattle, San Francisco and
-- Austin, their meals with ingredients (allergens, "may contain" traces, complete and incomplete
-- ingredient lists) and health tags on some meals. No users: register through the API.
-- Idempotent: fixed ids, every insert skips rows that exist. Runs in one transaction as the owner.

insert into public.restaurants
    (id, name, cuisine_type, address, city, state, zip_code, country, latitude, longitude, phone, website, hours, rating, price_range)
values
    ('5e1f0a00-0000-4000-8000-000000000001', 'Green Bowl Kitchen', 'Healthy', '1520 Pike Pl', 'Seattle', 'WA', '98101', 'US',
        47.60970000, -122.34220000, '+1-206-555-0101', 'https://greenbowl.example', '{"mon-fri": "08:00-20:00", "sat-sun": "09:00-18:00"}', 4.6, 2),
    ('5e1f0a00-0000-4000-8000-000000000002', 'Harbor Noodle House', 'Thai', '415 Westlake Ave N', 'Seattle', 'WA', '98109', 'US',
        47.62290000, -122.33850000, '+1-206-555-0102', null, '{"daily": "11:00-22:00"}', 4.3, 2),
    ('5e1f0a00-0000-4000-8000-000000000003', 'Mission Grain & Greens', 'Mediterranean', '2200 Mission St', 'San Francisco', 'CA', '94110', 'US',
        37.76120000, -122.41930000, '+1-415-555-0103', 'https://missiongrain.example', '{"daily": "10:00-21:00"}', 4.5, 3),
    ('5e1f0a00-0000-4000-8000-000000000004', 'Sunset Bakery Cafe', 'Bakery', '1800 Irving St', 'San Francisco', 'CA', '94122', 'US',
        37.76390000, -122.47750000, null, null, '{"daily": "07:00-15:00"}', 4.1, 1),
    ('5e1f0a00-0000-4000-8000-000000000005', 'South Congress Smokehouse', 'Barbecue', '1400 S Congress Ave', 'Austin', 'TX', '78704', 'US',
        30.24900000, -97.74960000, '+1-512-555-0105', null, '{"tue-sun": "11:00-21:00"}', 4.4, 2)
on conflict do nothing;

insert into public.meals
    (id, restaurant_id, name, description, category, price, calories, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, ingredients_complete)
values
    ('5e1f0b00-0000-4000-8000-000000000001', '5e1f0a00-0000-4000-8000-000000000001', 'Salmon Quinoa Bowl',
        'Grilled salmon, quinoa, spinach, avocado, lemon dressing', 'Bowls', 16.50, 620, 38.0, 48.0, 28.0, 9.0, 540, true),
    ('5e1f0b00-0000-4000-8000-000000000002', '5e1f0a00-0000-4000-8000-000000000001', 'Spinach & Chickpea Salad',
        'Spinach, chickpeas, cucumber, tomato, olive oil', 'Salads', 11.00, 380, 14.0, 40.0, 18.0, 12.0, 310, true),
    ('5e1f0b00-0000-4000-8000-000000000003', '5e1f0a00-0000-4000-8000-000000000002', 'Peanut Noodles',
        'Rice noodles in peanut sauce with tofu and scallions', 'Noodles', 13.50, 780, 24.0, 92.0, 34.0, 6.0, 1350, true),
    ('5e1f0b00-0000-4000-8000-000000000004', '5e1f0a00-0000-4000-8000-000000000002', 'Green Curry with Rice',
        'Coconut green curry with vegetables, jasmine rice; prepared in a kitchen that handles peanuts', 'Curries', 14.00, 690, 12.0, 88.0, 30.0, 5.0, 980, true),
    ('5e1f0b00-0000-4000-8000-000000000005', '5e1f0a00-0000-4000-8000-000000000003', 'Falafel Plate',
        'Falafel, hummus, tabbouleh, pita', 'Plates', 15.00, 820, 26.0, 96.0, 36.0, 15.0, 1100, true),
    ('5e1f0b00-0000-4000-8000-000000000006', '5e1f0a00-0000-4000-8000-000000000003', 'Lentil Soup',
        'Red lentils, carrot, cumin', 'Soups', 8.50, 310, 18.0, 46.0, 5.0, 14.0, 720, false),
    ('5e1f0b00-0000-4000-8000-000000000007', '5e1f0a00-0000-4000-8000-000000000004', 'Sourdough Grilled Cheese',
        'Sourdough, aged cheddar, butter', 'Sandwiches', 9.50, 640, 24.0, 52.0, 36.0, 3.0, 1180, true),
    ('5e1f0b00-0000-4000-8000-000000000008', '5e1f0a00-0000-4000-8000-000000000004', 'Banana Walnut Muffin',
        'Whole wheat muffin with banana and walnuts', 'Pastries', 4.25, 420, 7.0, 58.0, 18.0, 4.0, 320, false),
    ('5e1f0b00-0000-4000-8000-000000000009', '5e1f0a00-0000-4000-8000-000000000005', 'Smoked Turkey Plate',
        'Smoked turkey breast, coleslaw, pickles', 'Plates', 17.00, 560, 52.0, 20.0, 28.0, 4.0, 1650, true),
    ('5e1f0b00-0000-4000-8000-00000000000a', '5e1f0a00-0000-4000-8000-000000000005', 'Sweet Potato & Black Bean Bowl',
        'Roasted sweet potato, black beans, brown rice, pumpkin seeds', 'Bowls', 12.00, 590, 19.0, 98.0, 14.0, 17.0, 460, true)
on conflict do nothing;

insert into public.ingredients (name, allergen_id)
select v.name, a.id
from (values
    ('Salmon', 'Fish'),
    ('Quinoa', null),
    ('Spinach', null),
    ('Avocado', null),
    ('Lemon', null),
    ('Olive oil', null),
    ('Chickpeas', null),
    ('Cucumber', null),
    ('Tomato', null),
    ('Rice noodles', null),
    ('Peanut sauce', 'Peanuts'),
    ('Peanuts', 'Peanuts'),
    ('Tofu', 'Soy'),
    ('Soy sauce', 'Soy'),
    ('Scallions', null),
    ('Coconut milk', null),
    ('Jasmine rice', null),
    ('Fish sauce', 'Fish'),
    ('Tahini', 'Sesame'),
    ('Pita', 'Wheat'),
    ('Bulgur wheat', 'Wheat'),
    ('Red lentils', null),
    ('Carrot', null),
    ('Sourdough bread', 'Wheat'),
    ('Cheddar cheese', 'Milk'),
    ('Butter', 'Milk'),
    ('Whole wheat flour', 'Wheat'),
    ('Eggs', 'Eggs'),
    ('Walnuts', 'Tree Nuts'),
    ('Banana', null),
    ('Turkey breast', null),
    ('Mayonnaise', 'Eggs'),
    ('Cabbage', null),
    ('Mustard', 'Mustard'),
    ('Sweet potato', null),
    ('Black beans', null),
    ('Brown rice', null),
    ('Pumpkin seeds', null)
) as v (name, allergen)
left join health.allergens a on a.name = v.allergen
on conflict do nothing;

insert into public.meal_ingredients (meal_id, ingredient_id, presence)
select v.meal_id::uuid, i.id, v.presence
from (values
    ('5e1f0b00-0000-4000-8000-000000000001', 'Salmon', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000001', 'Quinoa', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000001', 'Spinach', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000001', 'Avocado', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000001', 'Lemon', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000002', 'Spinach', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000002', 'Chickpeas', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000002', 'Cucumber', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000002', 'Tomato', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000002', 'Olive oil', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000003', 'Rice noodles', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000003', 'Peanut sauce', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000003', 'Tofu', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000003', 'Soy sauce', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000003', 'Scallions', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000004', 'Coconut milk', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000004', 'Jasmine rice', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000004', 'Fish sauce', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000004', 'Peanuts', 'may_contain'),
    ('5e1f0b00-0000-4000-8000-000000000005', 'Chickpeas', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000005', 'Tahini', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000005', 'Pita', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000005', 'Bulgur wheat', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000005', 'Tomato', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000006', 'Red lentils', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000006', 'Carrot', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000007', 'Sourdough bread', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000007', 'Cheddar cheese', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000007', 'Butter', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000008', 'Whole wheat flour', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000008', 'Banana', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000008', 'Walnuts', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000008', 'Eggs', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000008', 'Peanuts', 'may_contain'),
    ('5e1f0b00-0000-4000-8000-000000000009', 'Turkey breast', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000009', 'Cabbage', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000009', 'Mayonnaise', 'contains'),
    ('5e1f0b00-0000-4000-8000-000000000009', 'Mustard', 'may_contain'),
    ('5e1f0b00-0000-4000-8000-00000000000a', 'Sweet potato', 'contains'),
    ('5e1f0b00-0000-4000-8000-00000000000a', 'Black beans', 'contains'),
    ('5e1f0b00-0000-4000-8000-00000000000a', 'Brown rice', 'contains'),
    ('5e1f0b00-0000-4000-8000-00000000000a', 'Pumpkin seeds', 'contains')
) as v (meal_id, ingredient, presence)
join public.ingredients i on i.name = v.ingredient
on conflict do nothing;

insert into health.food_tags (food_id, tag_id, confidence_score, source, verified)
select v.meal_id::uuid, t.id, v.confidence, v.source, v.verified
from (values
    ('5e1f0b00-0000-4000-8000-000000000001', '#BrainFood', 0.90, 'nutritionist', true),
    ('5e1f0b00-0000-4000-8000-000000000001', '#MoodBoost', 0.75, 'research_paper', true),
    ('5e1f0b00-0000-4000-8000-000000000002', '#StressRelief', 0.80, 'nutritionist', true),
    ('5e1f0b00-0000-4000-8000-000000000006', '#SleepAid', 0.60, 'ai_analysis', false),
    ('5e1f0b00-0000-4000-8000-000000000008', '#MoodBoost', 0.55, 'user_feedback', false),
    ('5e1f0b00-0000-4000-8000-00000000000a', '#StressRelief', 0.85, 'nutritionist', true),
    ('5e1f0b00-0000-4000-8000-00000000000a', '#AntiAnxiety', 0.65, 'ai_analysis', false)
) as v (meal_id, tag_name, confidence, source, verified)
join health.health_tags t on t.tag_name = v.tag_name
on conflict do nothing;
