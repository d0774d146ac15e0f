-- Upload batches: one per commune per uploaded file (filled in by the import workflow).
CREATE TABLE import_batch (
    id            uuid PRIMARY KEY,
    district_code text        NOT NULL,
    commune_code  text,
    kind          text        NOT NULL CHECK (kind IN ('arrears', 'info', 'policy')),
    file_name     text        NOT NULL,
    status        text        NOT NULL,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_batch_district ON import_batch (district_code, status);
