-- Undo encrypt_health_notes. Ciphertext cannot be turned back into plaintext here (the key is the
-- application's): the down migration refuses while any encrypted note exists.

do $$
begin
    if exists (select 1 from public.user_allergies where notes_encrypted is not null)
        or exists (select 1 from public.user_medical_conditions where notes_encrypted is not null) then
        raise exception using
            errcode = 'object_not_in_prerequisite_state',
            message = 'encrypted health notes exist; rolling back would lose them';
    end if;
end;
$$;

alter table public.health_profiles drop column bmr_equation;

drop trigger audit_user_preferences on public.user_preferences;
drop trigger audit_user_fitness_goals on public.user_fitness_goals;
drop trigger audit_user_dietary_restrictions on public.user_dietary_restrictions;
drop trigger audit_user_medical_conditions on public.user_medical_conditions;
drop trigger audit_user_allergies on public.user_allergies;
create trigger audit_user_allergies
    after insert or update or delete on public.user_allergies
    for each row
    execute function public.audit_changes();

alter table public.user_medical_conditions
    drop column notes_encrypted,
    drop column notes_key_version,
    add column notes text,
    add constraint user_medical_conditions_notes_check check (length(notes) <= 500);

alter table public.user_allergies
    drop column notes_encrypted,
    drop column notes_key_version,
    add column notes text,
    add constraint chk_notes_length check (length(notes) <= 500);
