-- Administrative units (province 2 digits, district 3, commune 5), loaded from a data package.
CREATE TABLE admin_unit (
    code        text PRIMARY KEY,
    level       text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    name        text NOT NULL,
    parent_code text REFERENCES admin_unit (code)
);
CREATE INDEX admin_unit_parent ON admin_unit (parent_code);
