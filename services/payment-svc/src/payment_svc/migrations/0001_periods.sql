-- Payment periods: one district, one month.
CREATE TABLE payment_period (
    district_code text        NOT NULL,
    month         date        NOT NULL CHECK (extract(day FROM month) = 1),
    status        text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'locked', 'closed')),
    opened_by     text        NOT NULL,
    opened_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_code, month)
);
