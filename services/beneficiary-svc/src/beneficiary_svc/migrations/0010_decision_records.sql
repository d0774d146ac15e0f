-- Decision records (issue 20): every policy decision keeps, beside its number and effective
-- month, the date it was signed, who signed it, and the officer who recorded it; a district's
-- decisions are listed by the time they were recorded.
ALTER TABLE policy_decision ADD COLUMN decision_date date;
ALTER TABLE policy_decision ADD COLUMN signer text CHECK (length(signer) BETWEEN 1 AND 200);
ALTER TABLE policy_decision ADD COLUMN recorded_by text;
CREATE INDEX policy_decision_district ON policy_decision (district_code, id);
