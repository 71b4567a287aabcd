"""Name normalisation and prefix ranges, property-based."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opendui.core.text import prefix_range, search_key

KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "
keys = st.text(alphabet=KEY_ALPHABET, min_size=1, max_size=12).map(lambda k: " ".join(k.split()))


@given(keys, keys)
def test_every_key_starting_with_the_prefix_is_inside_the_range(prefix, rest):
    key = prefix + rest
    low, high = prefix_range(prefix)
    assert low <= key
    assert high is None or key < high


@given(keys)
def test_the_range_is_not_wider_than_needed_at_the_bumped_position(prefix):
    low, high = prefix_range(prefix)
    assert low == prefix
    if high is not None:
        assert high > prefix and not high.startswith(prefix)


def test_upper_bound_never_uses_punctuation():
    assert prefix_range("maz") == ("maz", "mb")
    assert prefix_range("zz") == ("zz", None)
    assert prefix_range("a9") == ("a9", "b")
    assert prefix_range("le g") == ("le g", "le h")


def test_search_key_folds_accents_case_and_separators():
    assert search_key("Lefèvre-Dupré") == "lefevre dupre"
    assert search_key("  D'ARTAGNAN  ") == "d artagnan"
    assert search_key("Œuvray") == "oeuvray"
    assert search_key("LÆTITIA") == "laetitia"


@given(st.text(max_size=60))
def test_search_key_is_idempotent_and_lower_case(text):
    key = search_key(text)
    assert search_key(key) == key
    assert key == key.casefold()


def test_search_key_decomposes_compatibility_letters_before_folding():
    assert search_key("\U0001d468NNE") == "anne"  # mathematical bold capital A
