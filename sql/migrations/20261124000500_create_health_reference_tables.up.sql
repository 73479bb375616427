-- Health reference data: allergens (doc 4.2), dietary restrictions (8.3), medical conditions,
-- health tags (9.5), with their seed rows.
--
-- Why the differences from the doc: allergens record which authority recognises them. The doc
-- defaulted fda_recognized to true, which labelled Mustard, Celery and Lupin as FDA major food
-- allergens; they are EU-only. The FDA list is the "big 9" (FALCPA + FASTER Act: milk, eggs, fish,
-- crustacean shellfish, tree nuts, peanuts, wheat, soybeans, sesame); the EU list is Regulation
-- (EU) 1169/2011 Annex II (14 items). The doc missed three EU items (Sulphites, Molluscs, Cereals
-- containing gluten) and listed Oysters, a mollusc, under Shellfish (crustaceans). Wheat is one of
-- the gluten cereals: parent_id lets an allergy to the group match a wheat ingredient.

create table health.allergens (
    id uuid primary key default gen_random_uuid(),
    name varchar(100) not null,
    category varchar(50) not null,
    description text,
    common_foods text[],
    parent_id uuid references health.allergens (id),
    is_active boolean not null default true,
    fda_recognized boolean not null default false,
    eu_recognized boolean not null default false,
    created_at timestamptz not null default current_timestamp,

    constraint allergens_name_key unique (name),
    constraint chk_allergen_category check (category in ('Food', 'Environmental', 'Medication', 'Other')),
    constraint allergens_parent_id_check check (parent_id <> id)
);

create index allergens_parent_id_idx on health.allergens (parent_id);

comment on table health.allergens is
    'Recognised allergens. fda_recognized: one of the FDA major food allergens; eu_recognized: EU 1169/2011 Annex II. An allergy to a parent covers its children (Cereals containing gluten covers Wheat).';

insert into health.allergens (name, category, description, common_foods, fda_recognized, eu_recognized) values
    ('Peanuts', 'Food', null, array['Peanut butter', 'Peanut oil', 'Mixed nuts'], true, true),
    ('Tree Nuts', 'Food', null, array['Almonds', 'Cashews', 'Walnuts', 'Pecans'], true, true),
    ('Milk', 'Food', null, array['Cheese', 'Yogurt', 'Butter', 'Ice cream'], true, true),
    ('Eggs', 'Food', null, array['Mayonnaise', 'Baked goods', 'Pasta'], true, true),
    ('Cereals containing gluten', 'Food', 'Wheat (spelt, khorasan), rye, barley, oats and their hybrids',
        array['Bread', 'Pasta', 'Beer', 'Barley', 'Rye bread', 'Couscous'], false, true),
    ('Soy', 'Food', null, array['Tofu', 'Soy sauce', 'Edamame', 'Tempeh'], true, true),
    ('Fish', 'Food', null, array['Salmon', 'Tuna', 'Cod', 'Fish sauce'], true, true),
    ('Shellfish', 'Food', 'Crustacean shellfish', array['Shrimp', 'Crab', 'Lobster', 'Crayfish'], true, true),
    ('Sesame', 'Food', null, array['Tahini', 'Sesame oil', 'Hummus'], true, true),
    ('Mustard', 'Food', null, array['Mustard sauce', 'Mustard seeds', 'Mustard powder'], false, true),
    ('Celery', 'Food', null, array['Celery stalks', 'Celery salt', 'Soup stocks'], false, true),
    ('Lupin', 'Food', null, array['Lupin flour', 'Lupin beans'], false, true),
    ('Sulphites', 'Food', 'Sulphur dioxide and sulphites above 10 mg/kg or 10 mg/l',
        array['Wine', 'Dried fruit', 'Pickled foods', 'Sausages'], false, true),
    ('Molluscs', 'Food', null, array['Oysters', 'Mussels', 'Clams', 'Squid', 'Snails'], false, true);

insert into health.allergens (name, category, description, common_foods, parent_id, fda_recognized, eu_recognized)
select 'Wheat', 'Food', null, array['Bread', 'Pasta', 'Cereals', 'Flour'], g.id, true, true
from health.allergens g
where g.name = 'Cereals containing gluten';

create table health.dietary_restrictions_ref (
    id uuid primary key default gen_random_uuid(),
    name varchar(50) not null,
    description text not null,
    created_at timestamptz not null default current_timestamp,

    constraint dietary_restrictions_ref_name_key unique (name),
    constraint dietary_restrictions_ref_name_check check (name ~ '^[a-z][a-z_]*$')
);

comment on table health.dietary_restrictions_ref is 'Dietary restrictions a user can choose (vegetarian, halal...).';

insert into health.dietary_restrictions_ref (name, description) values
    ('vegetarian', 'No meat or fish'),
    ('vegan', 'No animal products'),
    ('gluten_free', 'No gluten-containing grains'),
    ('kosher', 'Follows Jewish dietary laws'),
    ('halal', 'Follows Islamic dietary laws'),
    ('keto', 'Low carbohydrate, high fat'),
    ('paleo', 'Paleolithic diet')
on conflict (name) do nothing;

create table health.medical_conditions_ref (
    id uuid primary key default gen_random_uuid(),
    name varchar(50) not null,
    display_name varchar(100) not null,
    description text not null,
    created_at timestamptz not null default current_timestamp,

    constraint medical_conditions_ref_name_key unique (name),
    constraint medical_conditions_ref_name_check check (name ~ '^[a-z][a-z0-9_]*$')
);

comment on table health.medical_conditions_ref is
    'Medical conditions that change what a user should eat. Mental-health conditions are not listed: they belong to the consented mental-wellness tables.';

insert into health.medical_conditions_ref (name, display_name, description) values
    ('type_1_diabetes', 'Type 1 diabetes', 'Carbohydrate counting and insulin matching'),
    ('type_2_diabetes', 'Type 2 diabetes', 'Limit added sugar and refined carbohydrates'),
    ('hypertension', 'High blood pressure', 'Limit sodium'),
    ('high_cholesterol', 'High cholesterol', 'Limit saturated and trans fat'),
    ('celiac_disease', 'Celiac disease', 'Strictly no gluten, including cross-contact'),
    ('irritable_bowel_syndrome', 'Irritable bowel syndrome', 'Often a low-FODMAP diet'),
    ('gerd', 'Gastro-oesophageal reflux disease', 'Avoid trigger foods: spicy, acidic, fatty'),
    ('chronic_kidney_disease', 'Chronic kidney disease', 'Limit sodium, potassium, phosphorus and protein'),
    ('phenylketonuria', 'Phenylketonuria (PKU)', 'No phenylalanine: no aspartame, very low protein'),
    ('lactose_intolerance', 'Lactose intolerance', 'Limit lactose'),
    ('gout', 'Gout', 'Limit purines: organ meats, some seafood, alcohol'),
    ('pregnancy', 'Pregnancy', 'Avoid raw fish, unpasteurised cheese, high-mercury fish, alcohol');

create table health.health_tags (
    id uuid primary key default gen_random_uuid(),
    tag_name varchar(50) not null,
    category varchar(30) not null,
    description text not null,
    scientific_basis text,
    key_nutrients text[],
    effectiveness_rating numeric(3, 2),
    is_active boolean not null default true,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,

    constraint health_tags_tag_name_key unique (tag_name),
    constraint chk_tag_name_format check (tag_name ~ '^#[A-Z][a-zA-Z]+$'),
    constraint chk_category check (category in ('Mental Wellness', 'Physical Health', 'Energy', 'Sleep', 'Digestion', 'Immunity')),
    constraint chk_description_length check (length(description) between 50 and 500),
    constraint chk_effectiveness check (effectiveness_rating is null or effectiveness_rating between 0.0 and 5.0)
);

create index idx_health_tags_category on health.health_tags (category);
create index idx_health_tags_active on health.health_tags (is_active) where is_active = true;
create index idx_health_tags_effectiveness on health.health_tags (effectiveness_rating desc nulls last);

comment on table health.health_tags is 'Health tags for food (#StressRelief, #MoodBoost...).';

create trigger update_health_tags_updated_at
    before update on health.health_tags
    for each row
    execute function public.update_updated_at_column();

insert into health.health_tags (tag_name, category, description, key_nutrients, effectiveness_rating) values
    ('#StressRelief', 'Mental Wellness', 'Foods that help reduce cortisol levels and promote relaxation', array['Magnesium', 'Vitamin B6', 'Omega-3'], 4.2),
    ('#MoodBoost', 'Mental Wellness', 'Foods rich in mood-enhancing nutrients like tryptophan and serotonin precursors', array['Tryptophan', 'Vitamin D', 'Folate'], 4.0),
    ('#SleepAid', 'Sleep', 'Foods containing melatonin or sleep-promoting compounds', array['Melatonin', 'Magnesium', 'Tryptophan'], 4.5),
    ('#BrainFood', 'Mental Wellness', 'Nutrients that support cognitive function and mental clarity', array['Omega-3', 'Antioxidants', 'B Vitamins'], 4.3),
    ('#AntiAnxiety', 'Mental Wellness', 'Foods that help calm the nervous system and reduce anxiety', array['GABA', 'L-Theanine', 'Magnesium'], 3.8);

grant select on health.allergens, health.dietary_restrictions_ref, health.medical_conditions_ref, health.health_tags
    to eatsential_read, eatsential_admin;
grant insert, update, delete on health.allergens, health.dietary_restrictions_ref, health.medical_conditions_ref, health.health_tags
    to eatsential_admin;
