-- The import workflow: who import-svc validates against, staged rows, upload files, progress.

-- Read model of the register's identities, kept from BeneficiaryRegistered/Changed.
CREATE TABLE identity (
    beneficiary_id uuid PRIMARY KEY,
    district_code  text    NOT NULL,
    commune_code   text    NOT NULL,
    national_id    text,
    full_name      text    NOT NULL,
    status         text    NOT NULL,
    birth_date     date,
    gender         text,
    category       text,
    arrears_amount bigint  NOT NULL DEFAULT 0,
    arrears_period text,
    version        int     NOT NULL
);
CREATE INDEX identity_national_id ON identity (national_id) WHERE national_id IS NOT NULL;
CREATE INDEX identity_place ON identity (district_code, commune_code);

ALTER TABLE import_batch
    ADD COLUMN upload_id    uuid,
    ADD COLUMN error        jsonb,
    ADD COLUMN total        int NOT NULL DEFAULT 0,
    ADD COLUMN valid        int NOT NULL DEFAULT 0,
    ADD COLUMN invalid      int NOT NULL DEFAULT 0,
    ADD COLUMN duplicates   int NOT NULL DEFAULT 0,
    ADD COLUMN warnings     int NOT NULL DEFAULT 0,
    ADD COLUMN skipped      int NOT NULL DEFAULT 0,
    ADD COLUMN ignored_headers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN confirmed_by text,
    ADD COLUMN confirmed_at timestamptz,
    ADD COLUMN applied_at   timestamptz,
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT import_batch_status CHECK (status IN ('parsing', 'awaiting_review', 'failed',
        'confirmed', 'applied', 'partially_applied', 'refused'));
CREATE INDEX import_batch_upload ON import_batch (upload_id);
CREATE INDEX import_batch_parsing ON import_batch (created_at) WHERE status = 'parsing';

-- The file as uploaded, until it is parsed (a crash while parsing parses it again).
CREATE TABLE upload_file (
    batch_id uuid PRIMARY KEY REFERENCES import_batch (id) ON DELETE CASCADE,
    content  bytea NOT NULL
);

-- Progress of a parse, outside the parsing transaction so it can be seen while it runs.
CREATE TABLE upload_progress (
    batch_id  uuid PRIMARY KEY,
    phase     text NOT NULL,
    rows_read int  NOT NULL DEFAULT 0,
    at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_row (
    batch_id       uuid  NOT NULL REFERENCES import_batch (id) ON DELETE CASCADE,
    row_no         int   NOT NULL,
    status         text  NOT NULL CHECK (status IN ('invalid', 'duplicate', 'valid', 'skipped')),
    values         jsonb NOT NULL,
    flags          jsonb NOT NULL DEFAULT '{}',
    errors         jsonb NOT NULL DEFAULT '[]',
    warnings       jsonb NOT NULL DEFAULT '[]',
    duplicate_of   jsonb NOT NULL DEFAULT '[]',
    beneficiary_id uuid,
    apply_result   jsonb,
    PRIMARY KEY (batch_id, row_no)
);
CREATE INDEX import_row_review ON import_row (batch_id,
    (CASE status WHEN 'invalid' THEN 0 WHEN 'duplicate' THEN 1 WHEN 'valid' THEN 2 ELSE 3 END),
    row_no);
