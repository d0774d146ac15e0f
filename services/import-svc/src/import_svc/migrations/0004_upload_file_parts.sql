-- Issue 16: an uploaded file is stored in parts (256 KiB), streamed from the spool on disk and
-- back, never held whole in the service's memory. A file stored whole before (content) is
-- still read.
ALTER TABLE upload_file ALTER COLUMN content DROP NOT NULL;

CREATE TABLE upload_file_part (
    batch_id uuid NOT NULL REFERENCES upload_file (batch_id) ON DELETE CASCADE,
    seq      int   NOT NULL,
    data     bytea NOT NULL,
    PRIMARY KEY (batch_id, seq)
);
