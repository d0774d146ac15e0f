-- Decisions take effect in a month (DOMAIN.md): every policy decision with its effective
-- month (append-only, in the order recorded), and the periods they put in force (rewritten
-- for a person on each decision; what payment-svc pays month by month).
CREATE TABLE policy_decision (
    id              bigserial PRIMARY KEY,
    beneficiary_id  uuid        NOT NULL REFERENCES beneficiary (id),
    district_code   text        NOT NULL,
    effective_month date        NOT NULL CHECK (extract(day FROM effective_month) = 1),
    action          text        NOT NULL,
    status          text,
    category        text,
    coefficient     int,
    decision_no     text,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_decision_beneficiary ON policy_decision (beneficiary_id, id);

CREATE TABLE policy_period (
    beneficiary_id uuid NOT NULL REFERENCES beneficiary (id),
    district_code  text NOT NULL,
    from_month     date NOT NULL CHECK (extract(day FROM from_month) = 1),
    status         text NOT NULL,
    category       text,
    coefficient    int,
    PRIMARY KEY (beneficiary_id, from_month)
);

-- The register as it stands becomes its first decisions: the start, then the status from
-- its effective month (what the list SQL read from these columns until now).
INSERT INTO policy_decision (beneficiary_id, district_code, effective_month, action, status,
                             category, coefficient, decision_no)
SELECT id, district_code, allowance_start_month, 'register', 'active', category, coefficient,
       decision_no
FROM beneficiary WHERE allowance_start_month IS NOT NULL;
INSERT INTO policy_decision (beneficiary_id, district_code, effective_month, action, status)
SELECT id, district_code, greatest(status_effective_month, allowance_start_month), 'migrated',
       status
FROM beneficiary
WHERE allowance_start_month IS NOT NULL AND status NOT IN ('active', 'removed')
  AND status_effective_month IS NOT NULL;

INSERT INTO policy_period (beneficiary_id, district_code, from_month, status, category,
                           coefficient)
SELECT id, district_code, allowance_start_month,
       CASE WHEN status IN ('active', 'removed') OR status_effective_month > allowance_start_month
            THEN 'active' ELSE status END,
       category, coefficient
FROM beneficiary WHERE allowance_start_month IS NOT NULL;
INSERT INTO policy_period (beneficiary_id, district_code, from_month, status, category,
                           coefficient)
SELECT id, district_code, status_effective_month, status, category, coefficient
FROM beneficiary
WHERE allowance_start_month IS NOT NULL AND status NOT IN ('active', 'removed')
  AND status_effective_month > allowance_start_month;

-- The snapshot built in SQL (set-based imports) carries the timeline too.
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
        'version', b.version,
        'timeline', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'from_month', to_char(p.from_month, 'YYYY-MM'),
                       'status', p.status,
                       'category', p.category,
                       'coefficient', p.coefficient) ORDER BY p.from_month), '[]'::jsonb)
            FROM policy_period p WHERE p.beneficiary_id = b.id))
$$;

-- A policy decision's history row says from which month it takes effect.
ALTER TABLE beneficiary_history ADD COLUMN effective_month date
    CHECK (extract(day FROM effective_month) = 1);
