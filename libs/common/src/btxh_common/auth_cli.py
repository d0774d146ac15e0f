"""``btxh-token``: mint a gateway token for the local stack."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from btxh_common.auth import Role, mint_token
from btxh_common.settings import ServiceSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mint a gateway token for the local stack.")
    parser.add_argument("--district", action="append", required=True, help="unit code; repeat")
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.DISTRICT_OFFICER)
    parser.add_argument("--officer", default="officer-local")
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args(argv)
    token = mint_token(
        ServiceSettings(),
        officer_id=args.officer,
        role=Role(args.role),
        units=args.district,
        ttl=timedelta(hours=args.hours),
    )
    sys.stdout.write(token + "\n")
