"""payment-svc's ways out: its database (one module per subject) and the DVCT workbooks."""
