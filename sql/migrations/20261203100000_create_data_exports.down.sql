drop policy "users read the audit of reads of their data" on audit.data_reads;
revoke select on audit.data_reads from eatsential_write;
drop policy "users read their own security events" on audit.audit_logs;
revoke select on audit.audit_logs from eatsential_write;
drop table public.data_exports;
