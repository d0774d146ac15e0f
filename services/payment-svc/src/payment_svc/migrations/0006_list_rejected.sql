-- Issue 15 item 3: the post office rejected the list's package (not a recall). The list is
-- ``rejected`` with the post office's reason, so the officer sees it and makes a new version.
ALTER TABLE payment_list DROP CONSTRAINT payment_list_status_check;
ALTER TABLE payment_list ADD CONSTRAINT payment_list_status_check
    CHECK (status IN ('draft', 'submitted', 'sent', 'acknowledged', 'results_received',
                      'settled', 'rejected', 'superseded', 'deleted'));
ALTER TABLE payment_list
    ADD COLUMN rejected_reason text,
    ADD COLUMN rejected_at     timestamptz;
