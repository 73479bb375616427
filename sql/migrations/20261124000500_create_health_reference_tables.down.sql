-- Undo create_health_reference_tables (and their seed rows).

drop table health.health_tags;
drop table health.medical_conditions_ref;
drop table health.dietary_restrictions_ref;
drop table health.allergens;
