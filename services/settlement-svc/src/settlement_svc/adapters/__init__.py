"""Ways out of settlement-svc."""
