drop trigger audit_ai_chat_sessions on health.ai_chat_sessions;
create trigger audit_ai_chat_sessions
    after insert or update or delete on health.ai_chat_sessions
    for each row
    execute function public.audit_changes('context_summary_encrypted');

drop trigger audit_stress_logs on health.stress_logs;
create trigger audit_stress_logs
    after insert or update or delete on health.stress_logs
    for each row
    execute function public.audit_changes('notes_encrypted');

drop trigger check_stress_logs_codes on health.stress_logs;
drop function health.check_stress_codes();

alter table health.stress_logs
    drop column triggers_other_encrypted,
    drop column triggers_other_key_version,
    drop column coping_other_encrypted,
    drop column coping_other_key_version;

drop index health.ai_chat_sessions_llm_model_idx;

alter table health.ai_chat_sessions
    drop constraint ai_chat_sessions_llm_model_fkey,
    drop column session_title_encrypted,
    drop column session_title_key_version,
    add constraint chk_llm_model check (llm_model in ('gpt-4', 'gpt-4-turbo', 'claude-3-opus', 'claude-3-sonnet'));

drop table health.llm_models;
drop table health.coping_strategies_ref;
drop table health.stress_triggers_ref;
