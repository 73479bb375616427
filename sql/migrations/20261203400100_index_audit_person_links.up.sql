-- The account purge's last step (lifecycle.complete_erasure) asks of every column that links a row
-- to a person whether any row still names the account. audit.data_changes.user_id and
-- audit.data_reads.user_id had no index, so each purged account read both tables whole; on a tenth
-- of year one's data (audit.data_changes grows with every change) that was most of the purge's
-- time (npm run bench:lifecycle). Rows the purge unlinked (NULL) are not indexed.
create index data_changes_user_id_idx on audit.data_changes (user_id) where user_id is not null;
create index data_reads_user_id_idx on audit.data_reads (user_id) where user_id is not null;
