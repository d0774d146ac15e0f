-- The single-parent allowance (DON_THAN) is per child (DOMAIN's coefficient table): the
-- decision records the number of children; absent for every other category (one).
ALTER TABLE beneficiary ADD COLUMN children int CHECK (children >= 1);
ALTER TABLE policy_decision ADD COLUMN children int CHECK (children >= 1);
ALTER TABLE policy_period ADD COLUMN children int CHECK (children >= 1);

-- The snapshot built in SQL (set-based imports) carries the children too, in the record and
-- in each period of the timeline.
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
        'children', b.children,
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
        'version', b.version,
        'timeline', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'from_month', to_char(p.from_month, 'YYYY-MM'),
                       'status', p.status,
                       'category', p.category,
                       'coefficient', p.coefficient,
                       'children', p.children) ORDER BY p.from_month), '[]'::jsonb)
            FROM policy_period p WHERE p.beneficiary_id = b.id))
$$;
