-- audit.data_reads rows outlive the person they are about: the account purge keeps every audit
-- row and removes its link to the person (sql/README.md §8), so both person columns become
-- nullable. A row written by the API always names both (functions/wellness).
alter table audit.data_reads
    alter column user_id drop not null,
    alter column subject_user_id drop not null;
