-- Read your writes (issue 19): the highest register position (beneficiary-svc's change
-- number) the identity read model has applied, per district; on each batch, the position its
-- rows were validated against and the one the register's apply of it left.
CREATE TABLE read_position (
    district_code text        PRIMARY KEY,
    position      bigint      NOT NULL CHECK (position >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE import_batch ADD COLUMN register_position bigint,
    ADD COLUMN applied_position bigint;
