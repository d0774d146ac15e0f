-- Recoveries (truy thu, DOMAIN "Payment periods and lists", "Decisions take effect"): a
-- decision with a total and an amount per period, deducted from the person's monthly lines
-- as they are generated. The snapshot's old ``recipient.recovery_amount`` is no longer read.
CREATE TABLE recovery (
    id             uuid PRIMARY KEY,
    district_code  text        NOT NULL,
    beneficiary_id uuid        NOT NULL REFERENCES recipient (beneficiary_id),
    decision_no    text        NOT NULL,
    decision_date  date        NOT NULL,
    reason         text        NOT NULL,
    total          bigint      NOT NULL CHECK (total > 0),
    per_period     bigint      NOT NULL CHECK (per_period > 0 AND per_period <= total),
    from_month     date        NOT NULL CHECK (extract(day FROM from_month) = 1),
    status         text        NOT NULL DEFAULT 'open'
                               CHECK (status IN ('open', 'closed', 'cancelled')),
    created_by     text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    seq            bigserial   NOT NULL  -- the order a person's recoveries take their share
);
CREATE INDEX recovery_district ON recovery (district_code, status);
CREATE INDEX recovery_person ON recovery (beneficiary_id);

-- What each generated line deducted for each recovery (a line's ``recovery`` is their sum).
-- ``line_id`` has no foreign key: a line goes only with its list (``list_id``), and a check
-- per deduction would cost the list's generation a lookup per recovery (monthly_list_1000k).
CREATE TABLE recovery_deduction (
    recovery_id uuid   NOT NULL REFERENCES recovery (id),
    line_id     uuid   NOT NULL,
    list_id     uuid   NOT NULL REFERENCES payment_list (id) ON DELETE CASCADE,
    amount      bigint NOT NULL CHECK (amount > 0),
    PRIMARY KEY (recovery_id, line_id)
);
CREATE INDEX recovery_deduction_list ON recovery_deduction (list_id);

CREATE TABLE recovery_history (
    id          bigserial   PRIMARY KEY,
    recovery_id uuid        NOT NULL REFERENCES recovery (id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    by_whom     text        NOT NULL,
    what        text        NOT NULL,  -- created, closed, reopened, cancelled
    reason      text
);
CREATE INDEX recovery_history_of ON recovery_history (recovery_id, id);

-- DON_THAN (single parent) is per child: the number of children the decision records.
ALTER TABLE recipient_policy ADD COLUMN children int CHECK (children >= 1);
