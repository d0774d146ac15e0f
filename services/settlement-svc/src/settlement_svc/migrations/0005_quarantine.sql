-- Post-office messages not believed or not for a live package (issue 15 item 8): kept here
-- with the reason, never applied. ``digest`` (SHA-256 of the payload as received) keeps one
-- row per message however often it is redelivered.
CREATE TABLE quarantine (
    id            bigserial PRIMARY KEY,
    district_code text NOT NULL,
    event_id      uuid NOT NULL,
    message_type  text NOT NULL,
    package_id    uuid,                 -- as the message named it (may be unknown here)
    key_id        text,                 -- the key the message says it was signed with
    reason        text NOT NULL,        -- btxh_common.po_sign.Verdict, or a liveness reason
    detail        text,
    payload       jsonb NOT NULL,
    digest        text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, digest, reason)
);
CREATE INDEX quarantine_district ON quarantine (district_code, at DESC);
CREATE INDEX quarantine_at ON quarantine (at);
