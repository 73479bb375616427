-- Health notes as ciphertext; every change to a health-profile table audited.
--
-- Why: allergy reaction notes and medical-condition notes are free text about a person's health,
-- held to the same rule as the mental-wellness notes (design doc 9.7): stored only as ciphertext
-- made by the application with the versioned note keyring (notes_key_version names the key), and
-- never copied in clear into audit.data_changes. No route ever wrote the plaintext columns; should
-- a database hold any, this migration stops rather than drop them, since only the application has
-- the key to encrypt them. Audit rows copied from those columns before now lose the copy.
-- user_dietary_restrictions, user_medical_conditions, user_fitness_goals and user_preferences had
-- no audit trigger; they get one, naming the acting user like the others.
-- health_profiles.bmr_equation: which Mifflin-St Jeor equation the person chose for their energy
-- estimate; the doc's BMR is defined only for gender male or female.

do $$
declare
    v_count bigint;
begin
    select (select count(*) from public.user_allergies where notes is not null)
         + (select count(*) from public.user_medical_conditions where notes is not null)
      into v_count;
    if v_count > 0 then
        raise exception using
            errcode = 'object_not_in_prerequisite_state',
            message = format('%s plaintext health notes exist; encrypt them with the note keyring before this migration', v_count);
    end if;
end;
$$;

alter table public.user_allergies
    drop column notes,
    add column notes_encrypted bytea,
    add column notes_key_version smallint,
    add constraint user_allergies_notes_encrypted_check check (octet_length(notes_encrypted) <= 4096),
    add constraint user_allergies_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    );

alter table public.user_medical_conditions
    drop column notes,
    add column notes_encrypted bytea,
    add column notes_key_version smallint,
    add constraint user_medical_conditions_notes_encrypted_check check (octet_length(notes_encrypted) <= 4096),
    add constraint user_medical_conditions_notes_key_version_check check (
        case when notes_encrypted is null then notes_key_version is null else coalesce(notes_key_version > 0, false) end
    );

comment on column public.user_allergies.notes_encrypted is
    'Reaction notes: AES-256-GCM ciphertext made by the application with key notes_key_version of the note keyring.';
comment on column public.user_medical_conditions.notes_encrypted is
    'Notes: AES-256-GCM ciphertext made by the application with key notes_key_version of the note keyring.';

update audit.data_changes
set old_data = old_data - 'notes',
    new_data = new_data - 'notes'
where schema_name = 'public'
  and table_name in ('user_allergies', 'user_medical_conditions')
  and (old_data ? 'notes' or new_data ? 'notes');

drop trigger audit_user_allergies on public.user_allergies;
create trigger audit_user_allergies
    after insert or update or delete on public.user_allergies
    for each row
    execute function public.audit_changes('notes_encrypted');

create trigger audit_user_medical_conditions
    after insert or update or delete on public.user_medical_conditions
    for each row
    execute function public.audit_changes('notes_encrypted');

create trigger audit_user_dietary_restrictions
    after insert or update or delete on public.user_dietary_restrictions
    for each row
    execute function public.audit_changes();

create trigger audit_user_fitness_goals
    after insert or update or delete on public.user_fitness_goals
    for each row
    execute function public.audit_changes();

create trigger audit_user_preferences
    after insert or update or delete on public.user_preferences
    for each row
    execute function public.audit_changes();

alter table public.health_profiles
    add column bmr_equation varchar(10),
    add constraint health_profiles_bmr_equation_check check (bmr_equation in ('male', 'female', 'average'));

comment on column public.health_profiles.bmr_equation is
    'Mifflin-St Jeor equation the person chose for their energy estimate (male +5, female -161, average -78); NULL: the one of their gender, none for other or prefer_not_to_say.';
