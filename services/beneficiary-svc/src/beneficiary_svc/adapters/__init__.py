"""Ways out of beneficiary-svc: its database and the administrative-unit data package."""
