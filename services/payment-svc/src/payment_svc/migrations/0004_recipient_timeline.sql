-- The decisions in force month by month (BeneficiarySnapshot.timeline), so that month M is
-- paid from what is in force in M, not from the latest state. ``to_month`` (exclusive) is
-- the next period's start, NULL for the last.
CREATE TABLE recipient_policy (
    beneficiary_id uuid NOT NULL REFERENCES recipient (beneficiary_id),
    from_month     date NOT NULL CHECK (extract(day FROM from_month) = 1),
    to_month       date CHECK (to_month > from_month),
    status         text NOT NULL,
    category       text,
    coefficient    int,
    PRIMARY KEY (beneficiary_id, from_month)
);

-- The read model as it stands, read the way the list SQL read it until now: in force from
-- the start month, then the status from its effective month (a death from the next month).
WITH since AS (
    SELECT beneficiary_id, allowance_start_month AS start, status, category, coefficient,
           CASE WHEN status = 'deceased' AND death_date IS NOT NULL
                THEN (date_trunc('month', death_date) + interval '1 month')::date
                ELSE status_effective_month END AS month
    FROM recipient WHERE allowance_start_month IS NOT NULL
)
INSERT INTO recipient_policy (beneficiary_id, from_month, to_month, status, category,
                              coefficient)
SELECT beneficiary_id, start, CASE WHEN status <> 'active' AND month > start THEN month END,
       CASE WHEN status = 'active' OR month > start THEN 'active' ELSE status END,
       category, coefficient
FROM since
UNION ALL
SELECT beneficiary_id, month, NULL, status, category, coefficient
FROM since WHERE status <> 'active' AND month > start;
