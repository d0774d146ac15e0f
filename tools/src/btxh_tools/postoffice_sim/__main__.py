"""``python -m btxh_tools.postoffice_sim``: the post office for the local stack."""

from __future__ import annotations

import argparse
import asyncio
import os

from btxh_common.logs import configure_logging
from btxh_common.settings import ServiceSettings

from btxh_tools.postoffice_sim import Behaviour, PostOffice


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m btxh_tools.postoffice_sim")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--pay-share", type=float, default=0.9)
    parser.add_argument("--results-delay", type=float, default=5.0)
    parser.add_argument("--late", action="store_true", help="never send settlement reports")
    parser.add_argument("--silent", action="store_true", help="drop everything")
    parser.add_argument("--reject", default=None, help="reject every package with this reason")
    parser.add_argument("--duplicate", action="store_true", help="send every message twice")
    parser.add_argument("--refuse-recall", action="store_true")
    args = parser.parse_args()
    configure_logging("postoffice-sim")
    behaviour = Behaviour(
        pay_share=args.pay_share,
        results_delay=args.results_delay,
        settle=not args.late,
        silent=args.silent,
        reject=args.reject,
        duplicate=args.duplicate,
        refuse_recall=args.refuse_recall,
    )
    # The bus credentials as a service reads them (KAFKA_SASL_USERNAME, …): in deploy/ the
    # post office's own KafkaUser, which may only read postoffice.outbound and write
    # postoffice.inbound.
    auth = ServiceSettings().kafka_auth()
    asyncio.run(PostOffice(args.bootstrap, behaviour, auth=auth).run())


if __name__ == "__main__":
    main()
