-- Settings: days 1–28 or the last day of the month (stored as 0).
ALTER TABLE payment_unit_settings DROP CONSTRAINT payment_unit_settings_list_cutoff_day_check;
ALTER TABLE payment_unit_settings DROP CONSTRAINT payment_unit_settings_settlement_cutoff_day_check;
UPDATE payment_unit_settings SET list_cutoff_day = 0 WHERE list_cutoff_day > 28;
UPDATE payment_unit_settings SET settlement_cutoff_day = 0 WHERE settlement_cutoff_day > 28;
ALTER TABLE payment_unit_settings
    ADD CONSTRAINT list_cutoff_day_range CHECK (list_cutoff_day BETWEEN 0 AND 28),
    ADD CONSTRAINT settlement_cutoff_day_range CHECK (settlement_cutoff_day BETWEEN 0 AND 28);

-- A package is one version of a payment list, as sent to the post office.
CREATE TABLE package (
    id             uuid PRIMARY KEY,        -- the package id the post office knows
    version        int  NOT NULL,
    list_id        uuid NOT NULL,
    district_code  text NOT NULL,
    period         text NOT NULL,
    kind           text NOT NULL,
    line_count     int  NOT NULL,
    total_amount   bigint NOT NULL,
    sha256         text NOT NULL,
    state          text NOT NULL CHECK (state IN ('waiting_recall', 'sent', 'acknowledged',
                       'rejected', 'recall_requested', 'recalled', 'recall_unanswered',
                       'superseded', 'alert', 'manual')),
    attempts       int  NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error     text,
    replaces       uuid REFERENCES package (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    acknowledged_at timestamptz,
    UNIQUE (list_id, version)
);
CREATE INDEX package_due ON package (next_attempt_at)
    WHERE state IN ('sent', 'recall_requested');
CREATE INDEX package_list ON package (district_code, period, kind);

-- The package's lines as sent (kept to resend, and to close with a status for each).
CREATE TABLE package_line (
    package_id uuid   NOT NULL REFERENCES package (id) ON DELETE CASCADE,
    line_id    uuid   NOT NULL,
    seq        int    NOT NULL,
    body       jsonb  NOT NULL,
    amount     bigint NOT NULL,
    status     text   NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'paid', 'unpaid', 'unpaid_stopped', 'returned',
                                 'recovered')),
    paid_on    date,
    PRIMARY KEY (package_id, line_id)
);

CREATE TABLE settlement (
    id             uuid PRIMARY KEY,
    package_id     uuid NOT NULL UNIQUE REFERENCES package (id),
    list_id        uuid NOT NULL,
    district_code  text NOT NULL,
    period         text NOT NULL,
    deadline       date NOT NULL,
    state          text NOT NULL CHECK (state IN ('open', 'received', 'closed')),
    overdue_since  date,
    report         jsonb,
    closed_by      text,
    closed_at      timestamptz
);
CREATE INDEX settlement_open ON settlement (deadline) WHERE state <> 'closed';

CREATE TABLE extension (
    id            bigserial PRIMARY KEY,
    settlement_id uuid NOT NULL REFERENCES settlement (id),
    days          int  NOT NULL CHECK (days BETWEEN 1 AND 19),
    decided_by    text NOT NULL,
    reason        text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
