delete from audit.data_reads where user_id is null or subject_user_id is null;
alter table audit.data_reads
    alter column user_id set not null,
    alter column subject_user_id set not null;
