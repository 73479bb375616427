-- Undo create_audit_tables. Dated partitions made by the job go with their parent.

drop function public.audit_changes();
drop function audit.create_access_log_partition(date);
drop table audit.access_logs;
drop table audit.data_changes;
drop table audit.audit_logs;
