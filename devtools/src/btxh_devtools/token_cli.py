"""``btxh-token``: mint a gateway token signed by the local stack's dev key (``.run/keys``).

Dev only: this package is not installed in the image (see the Dockerfile), and services
given real public keys refuse what the dev key signs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from btxh_common.auth import Role
from btxh_tools.tokens import PRIVATE_FILE, dev_keys_dir, load_dev_key, mint_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mint a gateway token for the local stack.")
    parser.add_argument("--district", action="append", required=True, help="unit code; repeat")
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.DISTRICT_OFFICER)
    parser.add_argument("--officer", default="officer-local")
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--keys", type=Path, default=None, help="key folder (.run/keys)")
    args = parser.parse_args(argv)
    folder = args.keys or dev_keys_dir()
    if not (folder / PRIVATE_FILE).is_file():
        sys.exit(f"no dev signing key in {folder}: `make up` generates it")
    token = mint_token(
        load_dev_key(folder),
        officer_id=args.officer,
        role=Role(args.role),
        units=args.district,
        ttl=timedelta(hours=args.hours),
    )
    sys.stdout.write(token + "\n")
