"""payment-svc's rules: amounts, list and line statuses, periods — pure, no I/O."""
