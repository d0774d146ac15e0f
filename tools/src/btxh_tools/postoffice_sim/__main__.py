"""``python -m btxh_tools.postoffice_sim``: the post office for the local stack.

Every flag also reads its setting from the environment (``POSTOFFICE_…``): the signing key
(``POSTOFFICE_KEY_ID`` + ``POSTOFFICE_PRIVATE_KEY``, the dev key when unset) and the fault
mode (``POSTOFFICE_FAULT_SEED``, ``POSTOFFICE_FAULT_DROP`` …), so a deployment sets them
from its Secret and ConfigMap.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from btxh_common.logs import configure_logging
from btxh_common.po_sign import DEV_SIGNER, Signer
from btxh_common.settings import ServiceSettings

from btxh_tools.postoffice_sim import Behaviour, PostOffice
from btxh_tools.postoffice_sim.faults import Faults

FAULTS = ("drop", "duplicate", "reorder", "delay", "forge")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"POSTOFFICE_{name.upper().replace('-', '_')}", default)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m btxh_tools.postoffice_sim")
    p.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    p.add_argument("--pay-share", type=float, default=0.9)
    p.add_argument("--results-delay", type=float, default=5.0)
    p.add_argument("--late", action="store_true", help="never send settlement reports")
    p.add_argument("--silent", action="store_true", help="drop everything")
    p.add_argument("--reject", default=None, help="reject every package with this reason")
    p.add_argument("--duplicate", action="store_true", help="send every message twice")
    p.add_argument("--refuse-recall", action="store_true", help="never answer a recall")
    p.add_argument("--rounds", type=int, default=int(_env("rounds", "3")))
    p.add_argument("--round-delay", type=float, default=float(_env("round-delay", "5")))
    p.add_argument("--returned-share", type=float, default=float(_env("returned-share", "0.02")))
    p.add_argument(
        "--recall-when-paid", action="store_true", help="give a package back even if paid"
    )
    p.add_argument(
        "--ask-extension", type=int, default=None, metavar="DAYS", help="when late, ask DAYS"
    )
    p.add_argument("--key-id", default=_env("key-id", DEV_SIGNER.key_id))
    p.add_argument("--private-key", default=_env("private-key", DEV_SIGNER.private_key))
    p.add_argument("--unsigned", action="store_true", help="sign nothing (a broken partner)")
    p.add_argument("--fault-seed", type=int, default=int(_env("fault-seed", "0")))
    for fault in FAULTS:
        p.add_argument(
            f"--fault-{fault}",
            type=float,
            default=float(_env(f"fault-{fault}", "0")),
            help=f"share of messages: {fault}",
        )
    p.add_argument("--fault-delay-seconds", type=float, default=2.0)
    return p


def build(argv: list[str] | None = None) -> PostOffice:
    """The post office the flags (and ``POSTOFFICE_…`` settings) describe."""
    args = parser().parse_args(argv)
    behaviour = Behaviour(
        pay_share=args.pay_share,
        results_delay=args.results_delay,
        settle=not args.late,
        silent=args.silent,
        reject=args.reject,
        duplicate=args.duplicate,
        refuse_recall=args.refuse_recall,
        rounds=args.rounds,
        round_delay=args.round_delay,
        returned_share=args.returned_share,
        refuse_recall_once_paid=not args.recall_when_paid,
        extension_days=args.ask_extension,
    )
    faults = Faults(
        seed=args.fault_seed,
        delay_seconds=args.fault_delay_seconds,
        **{fault: getattr(args, f"fault_{fault}") for fault in FAULTS},
    )
    signer = None if args.unsigned else Signer(args.key_id, args.private_key)
    # The bus credentials as a service reads them (KAFKA_SASL_USERNAME, …): in deploy/ the
    # post office's own KafkaUser, which may only read postoffice.outbound and write
    # postoffice.inbound.
    auth = ServiceSettings().kafka_auth()
    return PostOffice(args.bootstrap, behaviour, signer=signer, faults=faults, auth=auth)


def main() -> None:
    post_office = build()
    configure_logging("postoffice-sim")
    faults = post_office.wire.faults
    print(f"postoffice-sim: fault seed {faults.seed} ({faults})", flush=True)
    asyncio.run(post_office.run())


if __name__ == "__main__":
    main()
