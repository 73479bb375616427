drop function audit.record_access(uuid, uuid, text, text, text, text, integer, integer);
