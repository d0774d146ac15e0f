"""Hypothesis profiles for the stateful money test (tests/property/test_money_machine.py).

``BTXH_PROPERTY_PROFILE=short`` (the default; ``make test``): one fixed seed
(``SHORT_SEED`` in the test), at least 200 steps in all. ``BTXH_PROPERTY_PROFILE=soak``
(``make soak``): at least 10,000 steps, a new random seed each run unless ``SOAK_SEED`` is
set; the seed is printed at the start so ``make soak SOAK_SEED=…`` replays the run."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, Phase, settings

PROFILE = os.environ.get("BTXH_PROPERTY_PROFILE", "short")
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "short",
    max_examples=16,
    stateful_step_count=16,
    deadline=None,
    database=None,
    suppress_health_check=SLOW,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    print_blob=True,
)
settings.register_profile(
    "soak",
    max_examples=250,
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=SLOW,
    print_blob=True,
)
settings.register_profile(
    "tiny", parent=settings.get_profile("short"), max_examples=2, stateful_step_count=10
)
settings.load_profile(PROFILE)

SOAK_SEED = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(2**32))
os.environ["SOAK_SEED"] = str(SOAK_SEED)  # the test module seeds the run with it
if PROFILE == "soak":
    print(f"\nmoney machine: soak seed {SOAK_SEED} (replay: make soak SOAK_SEED={SOAK_SEED})")
