-- Issue 16: a file whose reading dies is tried a bounded number of times (then failed), and
-- an edited row is 'unvalidated' until the batch is validated again.
ALTER TABLE upload_file ADD COLUMN attempts int NOT NULL DEFAULT 0;

ALTER TABLE import_row DROP CONSTRAINT import_row_status_check;
ALTER TABLE import_row ADD CONSTRAINT import_row_status_check
    CHECK (status IN ('invalid', 'duplicate', 'valid', 'skipped', 'unvalidated'));
