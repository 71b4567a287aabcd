"""The growing login delays (accounts.throttle_rules), as properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.throttle_rules import delay_after

thresholds = st.integers(min_value=1, max_value=20)
bases = st.integers(min_value=1, max_value=3600)
caps = st.integers(min_value=1, max_value=7 * 24 * 3600)


@given(st.integers(min_value=0, max_value=500), thresholds, bases, caps)
def test_no_delay_below_the_threshold_and_never_more_than_the_cap(failures, threshold, base, cap):
    delay = delay_after(failures, threshold, base, cap)
    if failures < threshold:
        assert delay is None
    else:
        assert delay is not None and 0 < delay <= cap


@given(st.integers(min_value=0, max_value=500), thresholds, bases, caps)
def test_one_more_failure_never_shortens_the_delay(failures, threshold, base, cap):
    now = delay_after(failures, threshold, base, cap) or 0
    assert (delay_after(failures + 1, threshold, base, cap) or 0) >= now


@given(st.integers(min_value=0, max_value=30), thresholds, bases)
def test_the_delay_doubles_until_the_cap(extra, threshold, base):
    cap = 10**12
    assert delay_after(threshold + extra, threshold, base, cap) == min(base * 2**extra, cap)
