-- Events payment-svc published, lost with a restore of its database, and put back from the
-- bus (handlers/rebuild.py): each is put back once, never again at a later start.
CREATE TABLE rebuilt_event (
    event_id   uuid        PRIMARY KEY,
    event_type text        NOT NULL,
    rebuilt_at timestamptz NOT NULL DEFAULT now()
);
