drop table public.meal_review_flags;

drop trigger audit_feedback on public.feedback;
drop index public.feedback_user_id_reaction_idx;
alter table public.feedback
    drop constraint feedback_reaction_meal_check,
    drop constraint feedback_comment_key_version_check,
    drop constraint feedback_comment_encrypted_check,
    drop column reaction,
    drop column comment_key_version,
    drop column comment_encrypted,
    add column comment text,
    add constraint feedback_comment_check check (length(comment) <= 1000);

drop index public.recommendations_user_id_dismissed_idx;
drop index public.recommendations_open_idx;
alter table public.recommendations
    drop constraint recommendations_responded_check,
    drop constraint recommendations_rank_check,
    drop constraint recommendations_warnings_check,
    drop constraint recommendations_reasons_check,
    drop constraint recommendations_meal_time_check,
    drop column responded_at,
    drop column shown_at,
    drop column rank,
    drop column algorithm_version,
    drop column warnings,
    drop column reasons,
    drop column meal_time;

alter table health.medical_conditions_ref
    drop constraint medical_conditions_ref_limits_check,
    drop column limits_basis,
    drop column excluded_allergens_strict,
    drop column excluded_allergen_ids,
    drop column max_fat_g_per_meal,
    drop column max_protein_g_per_meal,
    drop column max_carbs_g_per_meal,
    drop column max_sodium_mg_per_meal;

alter table health.dietary_restrictions_ref
    drop constraint dietary_restrictions_ref_max_carbs_check,
    drop constraint dietary_restrictions_ref_required_certification_check,
    drop column max_carbs_g_per_meal,
    drop column required_certification,
    drop column needs_classified_ingredients,
    drop column excluded_allergens_strict,
    drop column excluded_allergen_ids,
    drop column excluded_traits;

alter table public.meals
    drop constraint meals_certifications_check,
    drop column certifications;

alter table public.ingredients
    drop constraint ingredients_diet_traits_check,
    drop column diet_traits;
