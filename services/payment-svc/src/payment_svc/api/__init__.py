"""payment-svc's HTTP routes for the internal web gateway, one module per resource."""

from payment_svc.api import lines, lists, periods, recoveries, reports

routers = [periods.router, lists.router, lines.router, recoveries.router, reports.router]
