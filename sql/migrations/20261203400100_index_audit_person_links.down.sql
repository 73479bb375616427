drop index if exists audit.data_reads_user_id_idx;
drop index if exists audit.data_changes_user_id_idx;
