-- The list of beneficiaries cut for death in a period (payment management §3): a district's
-- deaths read by date without scanning the district's living people.
CREATE INDEX recipient_deaths ON recipient (district_code, death_date) WHERE death_date IS NOT NULL;
