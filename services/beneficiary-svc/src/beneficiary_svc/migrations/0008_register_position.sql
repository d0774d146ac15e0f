-- Read your writes (issue 19): the register's change number per district. Every event the
-- register publishes (BeneficiaryRegistered, BeneficiaryChanged, ImportApplied) takes the
-- next number in the same transaction as the change and its outbox row; the row lock taken
-- by the increment holds until commit, so a district's numbers go out in commit order.
CREATE TABLE register_position (
    district_code text   PRIMARY KEY,
    position      bigint NOT NULL CHECK (position >= 0)
);
