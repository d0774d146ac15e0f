"""beneficiary-svc HTTP routes for the internal web gateway. Every route is scoped to the
caller's units: another district's beneficiary answers 404 everywhere."""

from beneficiary_svc.api import beneficiaries, catalogues, changes, locks, moves, records, restore

# In this order: ``/beneficiaries/duplicates`` must come before ``/beneficiaries/{id}``.
routers = [
    beneficiaries.router,
    changes.router,
    catalogues.router,
    locks.router,
    restore.router,
    records.router,
    moves.router,
]
