-- Time zones of the demo restaurants (demo.sql), so "open now" answers for them. Runs after demo.sql.
update public.restaurants r
set time_zone = v.zone
from (values
    ('5e1f0a00-0000-4000-8000-000000000001'::uuid, 'America/Los_Angeles'),
    ('5e1f0a00-0000-4000-8000-000000000002'::uuid, 'America/Los_Angeles'),
    ('5e1f0a00-0000-4000-8000-000000000003'::uuid, 'America/Los_Angeles'),
    ('5e1f0a00-0000-4000-8000-000000000004'::uuid, 'America/Los_Angeles'),
    ('5e1f0a00-0000-4000-8000-000000000005'::uuid, 'America/Chicago')
) as v (id, zone)
where r.id = v.id and r.time_zone is distinct from v.zone;
