-- A recall refused (people paid) holds the new version until the kept package's "paid"
-- results the refusal counted have reached us (issue 15): otherwise a person whose result is
-- still in transit goes into the new package and the post office pays them twice.
ALTER TABLE package DROP CONSTRAINT package_state_check;
ALTER TABLE package ADD CONSTRAINT package_state_check CHECK (state IN ('waiting_recall',
    'sent', 'acknowledged', 'rejected', 'recall_requested', 'recalled', 'recall_unanswered',
    'superseded', 'alert', 'manual', 'waiting_results', 'results_overdue'));
-- On the kept package: how many people the post office said it had paid when it refused.
ALTER TABLE package ADD COLUMN refused_paid_count int CHECK (refused_paid_count >= 0);
-- On a held version an officer let go without the results: who, why, when.
ALTER TABLE package ADD COLUMN released_by text;
ALTER TABLE package ADD COLUMN release_reason text;
ALTER TABLE package ADD COLUMN released_at timestamptz;
DROP INDEX package_due;
CREATE INDEX package_due ON package (next_attempt_at)
    WHERE state IN ('sent', 'recall_requested', 'waiting_results');
-- The version held for a kept package, found on each of the kept package's result parts.
CREATE INDEX package_held ON package (replaces)
    WHERE state IN ('waiting_results', 'results_overdue');
