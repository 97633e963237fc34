"""Shared test settings: one fixed hypothesis profile."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# One fixed profile: derandomized (the same examples every run) and no per-example deadline,
# since these machines are shared and timing is noisy.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

