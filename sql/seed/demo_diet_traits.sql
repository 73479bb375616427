-- What the demo ingredients are, for dietary restrictions (public.ingredients.diet_traits, sql/README.md §9).
-- Runs after demo.sql; idempotent: it sets the same values every time.
update public.ingredients i
set diet_traits = v.traits
from (values
    ('Salmon', array['fish']), ('Quinoa', array[]::text[]), ('Spinach', array[]::text[]),
    ('Avocado', array[]::text[]), ('Lemon', array[]::text[]), ('Olive oil', array[]::text[]),
    ('Chickpeas', array['legume']), ('Cucumber', array[]::text[]), ('Tomato', array[]::text[]),
    ('Rice noodles', array['grain']), ('Peanut sauce', array['legume']), ('Peanuts', array['legume']),
    ('Tofu', array['legume']), ('Soy sauce', array['legume']), ('Scallions', array[]::text[]),
    ('Coconut milk', array[]::text[]), ('Jasmine rice', array['grain']), ('Fish sauce', array['fish']),
    ('Tahini', array[]::text[]), ('Pita', array['grain']), ('Bulgur wheat', array['grain']),
    ('Red lentils', array['legume']), ('Carrot', array[]::text[]), ('Sourdough bread', array['grain']),
    ('Cheddar cheese', array['dairy']), ('Butter', array['dairy']), ('Whole wheat flour', array['grain']),
    ('Eggs', array['egg']), ('Walnuts', array[]::text[]), ('Banana', array[]::text[]),
    ('Turkey breast', array['poultry', 'meat']), ('Mayonnaise', array['egg']), ('Cabbage', array[]::text[]),
    ('Mustard', array[]::text[]), ('Sweet potato', array[]::text[]), ('Black beans', array['legume']),
    ('Brown rice', array['grain']), ('Pumpkin seeds', array[]::text[])
) as v (name, traits)
where i.name = v.name;
