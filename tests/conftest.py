"""Hypothesis profiles, so that a green suite means the same thing every run.

- `ci` (CI=true, and `make test`): derandomized, so every run tries the same examples, and no
  example database, so nothing a previous run found on this machine changes what runs.
- `fuzz` (`make fuzz`): the random search, each run new examples; what fails is kept in
  .hypothesis/ and replayed first next time, and printed as a reproduction blob.
- `default` elsewhere (a plain `pytest` on a laptop): Hypothesis's own, random.
HYPOTHESIS_PROFILE chooses one explicitly.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, print_blob=True)


def _profile() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    return "ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "default"


settings.load_profile(_profile())
