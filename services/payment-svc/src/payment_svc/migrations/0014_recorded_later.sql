-- A monthly list's record (``PaymentListRecorded`` with every line: what a restored
-- payment-svc rebuilds it from) is written after the officer's generation, not inside it
-- (``handlers/record.py``): the list is kept with ``recorded`` false until then. Every
-- command that changes a list, or publishes about its district's lists, records the
-- district's unrecorded lists first, so on the bus a list's record still comes before
-- anything later about it. Lists made before this migration were recorded when made.
ALTER TABLE payment_list ADD COLUMN recorded boolean NOT NULL DEFAULT true;
CREATE INDEX payment_list_unrecorded ON payment_list (district_code, created_at)
    WHERE NOT recorded;
