-- Undo create_user_payment_methods.

drop function public.decrypt_card_number(bytea, text);
drop function public.encrypt_card_number(text, text);
drop table public.user_payment_methods;
