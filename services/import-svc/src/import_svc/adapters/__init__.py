"""The ways out of import-svc: PostgreSQL, and the Excel workbooks it reads and writes."""
