-- Issue 17: an upload is read, validated and staged chunk by chunk; its progress says how many
-- rows have gone through each step so far.
ALTER TABLE upload_progress
    ADD COLUMN rows_validated int NOT NULL DEFAULT 0,
    ADD COLUMN rows_staged    int NOT NULL DEFAULT 0;
