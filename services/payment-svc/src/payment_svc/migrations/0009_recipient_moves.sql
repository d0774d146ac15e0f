-- Moves to another area (chuyển địa bàn, issue 20), from BeneficiaryChanged.move: where a
-- recipient lives month by month. Month M is paid by the district the person lives in in M:
-- ``from_*`` before ``from_month``, ``to_*`` from it. ``from_month`` is the register's
-- effective month, kept later where a monthly list of either district was already made for
-- a month from it when the move arrived (that month stays with the sending district: never
-- both, never neither). A person with no row lives where ``recipient`` says.
CREATE TABLE recipient_move (
    move_id         uuid PRIMARY KEY,
    beneficiary_id  uuid NOT NULL,
    from_district   text NOT NULL,
    from_commune    text NOT NULL,
    to_district     text NOT NULL,
    to_commune      text NOT NULL,
    effective_month date NOT NULL CHECK (extract(day FROM effective_month) = 1),
    from_month      date NOT NULL CHECK (from_month >= effective_month
                                         AND extract(day FROM from_month) = 1),
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipient_move_person ON recipient_move (beneficiary_id, from_month);
CREATE INDEX recipient_move_from ON recipient_move (from_district);
CREATE INDEX recipient_move_to ON recipient_move (to_district);
