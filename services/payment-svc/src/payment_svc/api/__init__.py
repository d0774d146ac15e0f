from payment_svc.api import deaths, lines, lists, periods, positions, recoveries, reports

routers = [
    periods.router,
    lists.router,
    lines.router,
    recoveries.router,
    reports.router,
    positions.router,
    deaths.router,
]
