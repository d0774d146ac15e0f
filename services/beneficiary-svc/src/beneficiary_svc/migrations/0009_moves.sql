-- Moving a beneficiary to another area (chuyển địa bàn, issue 20). Within a district the move
-- is recorded accepted at once; to another district the sending district requests it and the
-- receiving district accepts (with the commune) or refuses (with the reason), or the sending
-- district withdraws it (cancelled, with the reason). One pending move per person at a time.
CREATE TABLE beneficiary_move (
    id              uuid        PRIMARY KEY,
    beneficiary_id  uuid        NOT NULL REFERENCES beneficiary (id),
    full_name       text        NOT NULL,
    from_district   text        NOT NULL,
    from_commune    text        NOT NULL,
    to_district     text        NOT NULL,
    to_commune      text,
    effective_month date        NOT NULL CHECK (extract(day FROM effective_month) = 1),
    decision_no     text        NOT NULL,
    reason          text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'accepted', 'refused',
                                                           'cancelled')),
    refusal_reason  text,       -- why it was refused, or withdrawn
    requested_by    text        NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    decided_by      text,
    decided_at      timestamptz,
    CHECK (status <> 'accepted' OR to_commune IS NOT NULL),
    CHECK (status NOT IN ('refused', 'cancelled') OR refusal_reason IS NOT NULL)
);
CREATE UNIQUE INDEX beneficiary_move_one_pending ON beneficiary_move (beneficiary_id)
    WHERE status = 'pending';
CREATE INDEX beneficiary_move_to ON beneficiary_move (to_district, status, requested_at);
CREATE INDEX beneficiary_move_from ON beneficiary_move (from_district, status, requested_at);
CREATE INDEX beneficiary_move_person ON beneficiary_move (beneficiary_id, effective_month);
