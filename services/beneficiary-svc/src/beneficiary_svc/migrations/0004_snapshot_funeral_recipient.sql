-- The snapshot carries who receives the funeral allowance (payment-svc's funeral list).
CREATE OR REPLACE FUNCTION beneficiary_snapshot(b beneficiary) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', b.id,
        'national_id', b.national_id,
        'full_name', b.full_name,
        'birth_date', b.birth_date,
        'gender', b.gender,
        'district_code', b.district_code,
        'commune_code', b.commune_code,
        'category', b.category,
        'coefficient', b.coefficient,
        'status', b.status,
        'allowance_start_month', to_char(b.allowance_start_month, 'YYYY-MM'),
        'status_effective_month', to_char(b.status_effective_month, 'YYYY-MM'),
        'death_date', b.death_date,
        'funeral_recipient', b.funeral_recipient,
        'arrears_amount', b.arrears_amount,
        'arrears_period', to_char(b.arrears_period, 'YYYY-MM'),
        'recovery_amount', b.recovery_amount,
        'payment_channel', b.payment_channel,
        'bank_account', b.bank_account,
        'version', b.version)
$$;
