"""Growing login delays (pure: no Django import, property-tested).

After `threshold` failures of the same e-mail from the same address, each further
failure doubles the wait: a person who mistyped waits a few minutes, a guesser
from one address gets a handful of tries a day.
"""

from __future__ import annotations


def delay_after(failures: int, threshold: int, base_seconds: int, cap_seconds: int) -> int | None:
    """Seconds logins are refused after the `failures`-th failure in a row, or None.

    None below `threshold`; `base_seconds` at the threshold, doubled at each failure
    after it, never more than `cap_seconds`.
    """
    if threshold < 1 or failures < threshold:
        return None
    doublings = failures - threshold
    if doublings >= 64 or base_seconds << doublings >= cap_seconds:
        return cap_seconds
    return base_seconds << doublings
