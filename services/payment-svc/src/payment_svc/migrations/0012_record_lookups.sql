-- The list's record (``adapters/lines.py: records``) looks up, for each line, the earlier
-- lines it carries and its recovery deductions: without these indexes each lookup read the
-- whole table, one generation of 5,000 lines took minutes once payment_line held 350k rows.
-- Partial: only carried lines have ``carried_into``.
CREATE INDEX payment_line_carried_into ON payment_line (carried_into) WHERE carried_into IS NOT NULL;
CREATE INDEX recovery_deduction_line ON recovery_deduction (line_id);
