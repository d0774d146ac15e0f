"""Shared machinery of the BTXH services: contracts, outbox/inbox, chunks, migrations, auth."""
