"""payment-svc's HTTP routes for the internal web gateway, one module per resource."""

from payment_svc.api import lines, lists, periods, positions, reports

routers = [periods.router, lists.router, lines.router, reports.router, positions.router]
