"""settlement-svc rules: payment-unit settings, package states, settlements; no I/O."""
