-- What the post office said that was not applied, and why (issue 15): never a silent drop.
CREATE TABLE refusal (
    id            bigserial PRIMARY KEY,
    district_code text NOT NULL,
    package_id    uuid,                 -- as the message named it (may be unknown here)
    message_type  text NOT NULL,
    reason        text NOT NULL,        -- settlement_svc.domain.lifecycle.Reason
    detail        text,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refusal_district ON refusal (district_code, at DESC);
