-- A list's statuses are set many lines at once (a post-office results part of up to 1,000, a
-- settlement's close, an officer's "everyone paid"): their audit is one row per change of
-- many lines (the lines, each one's old and new status and paid date, in step), not a row
-- per line, which cost an insert and a foreign-key check a line (national_month bench).
-- A line's audit (``adapters/lines.py: audit``) reads both tables: the rows of one line
-- (a split) and the parts of its list that name it, in one order (the same sequence).
CREATE TABLE status_audit_part (
    id        bigint PRIMARY KEY DEFAULT nextval('status_audit_id_seq'),
    list_id   uuid   NOT NULL REFERENCES payment_list (id) ON DELETE CASCADE,
    lines     uuid[] NOT NULL,
    old       text[] NOT NULL,
    new       text[] NOT NULL,
    paid_on   date[] NOT NULL,
    by_whom   text   NOT NULL,
    source    text   NOT NULL,  -- 'manual', 'post_office', 'settlement'
    reason    text,
    at        timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(lines) = cardinality(old) AND cardinality(lines) = cardinality(new)
           AND cardinality(lines) = cardinality(paid_on))
);
CREATE INDEX status_audit_part_list ON status_audit_part (list_id);

-- A status change rewrites the line in place (a HOT update: no index entry) when no index
-- reads the status and the line's page has room for its new version. The only index that
-- read it (every unpaid line not yet carried, nationwide) served the carry of a district's
-- unpaid lines, which is found from the district's own lists (``payment_line_list``); and
-- half of each page is left free for the one or two status changes a line has.
DROP INDEX payment_line_to_carry;
ALTER TABLE payment_line SET (fillfactor = 50);
