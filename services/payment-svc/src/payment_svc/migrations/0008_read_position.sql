-- Read your writes (issue 19): the highest register position (beneficiary-svc's change
-- number) this read model has applied, per district; and the one each list was built from.
CREATE TABLE read_position (
    district_code text        PRIMARY KEY,
    position      bigint      NOT NULL CHECK (position >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE payment_list ADD COLUMN register_position bigint;
