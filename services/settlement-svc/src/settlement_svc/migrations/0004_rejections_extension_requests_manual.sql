-- Issue 15 items 3 and 4: what the post office gave as its reason for rejecting a package
-- (shown to the officer), its requests for more days to settle (recorded; the officer
-- decides), and statuses a supervisor recorded by hand on a package the post office holds.
ALTER TABLE package
    ADD COLUMN rejected_reason text,
    ADD COLUMN rejected_detail text,
    ADD COLUMN rejected_at     timestamptz;

CREATE TABLE extension_request (
    id            bigserial PRIMARY KEY,
    settlement_id uuid NOT NULL REFERENCES settlement (id),
    package_id    uuid NOT NULL REFERENCES package (id),
    district_code text NOT NULL,
    days          int  NOT NULL,
    reason        text NOT NULL,
    asked_at      timestamptz NOT NULL DEFAULT now(),
    answered_by   text,              -- the officer whose extension answered it
    granted_days  int,               -- the days that officer granted (may be fewer)
    answered_at   timestamptz,
    UNIQUE (package_id, days, reason) -- the same request again is the same request
);
CREATE INDEX extension_request_settlement ON extension_request (settlement_id);

-- A status set by hand (DOMAIN "Payment periods and lists": by a supervisor in an
-- integrated district); the post office's own word stays in ``status``.
ALTER TABLE package_line
    ADD COLUMN manual_status  text CHECK (manual_status IN ('paid', 'unpaid',
                                  'unpaid_stopped', 'returned', 'recovered')),
    ADD COLUMN manual_paid_on date;
