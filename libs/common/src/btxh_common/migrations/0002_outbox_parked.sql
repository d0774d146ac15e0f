-- Messages the broker path refused for good (too large, corrupt, invalid topic): moved out of
-- the outbox so the relay goes on with the rest; kept whole for an operator to look at.

CREATE TABLE outbox_parked (
    id          bigint      PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    event_type  text        NOT NULL,
    headers     jsonb       NOT NULL,
    body        bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL
);
