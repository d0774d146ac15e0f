-- Payment lists (seed "Quản lý chi trả" §1–10): levels, the read model of recipients, lists,
-- lines, statuses with their audit, carry-overs, splits and the district's payment mode.

CREATE TABLE standard_level (
    effective_from date   PRIMARY KEY CHECK (extract(day FROM effective_from) = 1),
    amount         bigint NOT NULL CHECK (amount > 0),
    legal_basis    text   NOT NULL
);
INSERT INTO standard_level VALUES
 ('2021-07-01', 360000, 'Nghị định 20/2021/NĐ-CP'),
 ('2024-07-01', 500000, 'Nghị định 76/2024/NĐ-CP');

-- What payment needs of each beneficiary, kept from BeneficiaryRegistered/Changed.
CREATE TABLE recipient (
    beneficiary_id         uuid PRIMARY KEY,
    district_code          text   NOT NULL,
    commune_code           text   NOT NULL,
    national_id            text,
    full_name              text   NOT NULL,
    status                 text   NOT NULL,
    category               text,
    coefficient            int,
    allowance_start_month  date,
    status_effective_month date,
    death_date             date,
    funeral_recipient      text,
    arrears_amount         bigint NOT NULL DEFAULT 0,
    arrears_period         date,
    recovery_amount        bigint NOT NULL DEFAULT 0,
    payment_channel        text   NOT NULL DEFAULT 'cash',
    bank_account           text,
    version                int    NOT NULL
);
CREATE INDEX recipient_district ON recipient (district_code);

ALTER TABLE payment_period DROP CONSTRAINT payment_period_status_check;
ALTER TABLE payment_period ADD CONSTRAINT payment_period_status_check
    CHECK (status IN ('open', 'locked'));
ALTER TABLE payment_period ADD COLUMN level bigint, ADD COLUMN locked_by text,
    ADD COLUMN locked_at timestamptz, ADD COLUMN lock_note text;

CREATE TABLE payment_list (
    id            uuid PRIMARY KEY,
    district_code text    NOT NULL,
    month         date    NOT NULL,
    kind          text    NOT NULL CHECK (kind IN ('monthly', 'funeral')),
    version       int     NOT NULL,
    status        text    NOT NULL CHECK (status IN ('draft', 'submitted', 'sent', 'acknowledged',
                                  'results_received', 'settled', 'superseded', 'deleted')),
    level         bigint  NOT NULL,
    created_by    text    NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    submitted_by  text,
    submitted_at  timestamptz,
    FOREIGN KEY (district_code, month) REFERENCES payment_period (district_code, month),
    UNIQUE (district_code, month, kind, version)
);
-- One current list per period and kind (the others are superseded or deleted).
CREATE UNIQUE INDEX payment_list_current ON payment_list (district_code, month, kind)
    WHERE status NOT IN ('superseded', 'deleted');

CREATE TABLE payment_line (
    id              uuid PRIMARY KEY,
    list_id         uuid   NOT NULL REFERENCES payment_list (id) ON DELETE CASCADE,
    beneficiary_id  uuid   NOT NULL,
    national_id     text,
    full_name       text   NOT NULL,
    commune_code    text   NOT NULL,
    payment_channel text   NOT NULL,
    bank_account    text,
    category        text,
    coefficient     int,
    allowance       bigint NOT NULL DEFAULT 0 CHECK (allowance >= 0),
    arrears         bigint NOT NULL DEFAULT 0 CHECK (arrears >= 0),
    arrears_period  date,
    carried_over    bigint NOT NULL DEFAULT 0 CHECK (carried_over >= 0),
    recovery        bigint NOT NULL DEFAULT 0 CHECK (recovery >= 0),
    funeral         bigint NOT NULL DEFAULT 0 CHECK (funeral >= 0),
    total           bigint NOT NULL CHECK (total >= 0),
    status          text   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid',
                           'unpaid', 'unpaid_stopped', 'returned', 'recovered', 'split')),
    paid_on         date,
    parent_id       uuid REFERENCES payment_line (id),
    note            text,
    -- where this line's unpaid money went (a later period's line), and a month it was
    -- pointed at by hand (§4.3)
    carried_into    uuid,
    pull_to_month   date,
    CHECK (total = allowance + arrears + carried_over + funeral - recovery)
);
CREATE INDEX payment_line_list ON payment_line (list_id, commune_code);
CREATE INDEX payment_line_person ON payment_line (beneficiary_id);
CREATE INDEX payment_line_to_carry ON payment_line (status) WHERE status = 'unpaid' AND carried_into IS NULL;

CREATE TABLE status_audit (
    id        bigserial PRIMARY KEY,
    line_id   uuid NOT NULL REFERENCES payment_line (id) ON DELETE CASCADE,
    old       text NOT NULL,
    new       text NOT NULL,
    paid_on   date,
    by_whom   text NOT NULL,
    source    text NOT NULL,  -- 'manual', 'post_office', 'settlement'
    reason    text,
    at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE district_payment_mode (
    district_code text PRIMARY KEY,
    integrated    boolean NOT NULL,
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
