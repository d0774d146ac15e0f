-- Payment-unit settings per district (seed 002 §B).
CREATE TABLE payment_unit_settings (
    district_code           text PRIMARY KEY,
    list_cutoff_day         int  NOT NULL CHECK (list_cutoff_day BETWEEN 1 AND 31),
    settlement_cutoff_day   int  NOT NULL CHECK (settlement_cutoff_day BETWEEN 1 AND 31),
    months_per_settlement   int  NOT NULL CHECK (months_per_settlement BETWEEN 1 AND 12),
    integrated              boolean NOT NULL,
    updated_by              text NOT NULL,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
