"""Funding rules 2022 and 2025: the spec's amounts by hand, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.programme.funding import (
    Part,
    ProjectType,
    RuleSet,
    Territory,
    estimate,
    reduced_count,
    sons_prestation,
    sons_tranche,
)

ACQ, UPG = ProjectType.ACQUISITION, ProjectType.UPGRADE


def one(rule_set, project, n, *, grappe=None, segur=True, small=False, **kw):
    grappe = grappe or n
    return estimate(
        rule_set,
        [Part(project, n)],
        grappe=grappe,
        segur=segur,
        first_position=grappe - n + 1,
        small_og_essms=n if small else 0,
        sons_orders=[n],
        **kw,
    )


# --- hand-written cases: the amounts of the spec -----------------------------------------------


def test_2022_acquisition_referenced_15_essms():
    e = one(RuleSet.Y2022, ACQ, 15)
    assert (e.eligible, e.usages, e.logiciel, e.total) == (True, 105_000, 217_500, 322_500)
    assert (e.materiel, e.amoa_projet, e.amoa_marche, e.sons_editeur) == (0, 0, 0, 0)


def test_2022_reduced_rate_starts_at_the_50th():
    e = one(RuleSet.Y2022, ACQ, 50)
    # 49 at 7 000 + 14 500, the 50th at 2 000 + 3 000.
    assert (e.full_rate_essms, e.reduced_rate_essms) == (49, 1)
    assert e.usages == 49 * 7_000 + 2_000
    assert e.logiciel == 49 * 14_500 + 3_000
    e49 = one(RuleSet.Y2022, ACQ, 49)
    assert e49.reduced_rate_essms == 0 and e49.total == 49 * 21_500


def test_2022_acquisition_not_referenced_uses_the_sad_rates():
    e = one(RuleSet.Y2022, ACQ, 60, segur=False)
    assert e.eligible
    assert e.usages == 49 * 7_000 + 11 * 2_000
    assert e.logiciel == 49 * 12_000 + 11 * 1_000


def test_2022_upgrade_usages_only_and_sons_tranche():
    e = one(RuleSet.Y2022, UPG, 20)
    assert (e.usages, e.logiciel, e.total) == (100_000, 0, 100_000)
    assert e.sons_editeur == 20 * 1_232  # tranche E
    assert any("tranche E" in note for note in e.notes)


def test_2022_upgrade_not_referenced_is_not_eligible_and_gets_nothing():
    e = one(RuleSet.Y2022, UPG, 20, segur=False)
    assert not e.eligible
    assert e.total == 0 and e.sons_editeur == 0
    assert "référencée Ségur" in e.motifs[0]


def test_2022_small_og_extras():
    e = one(RuleSet.Y2022, ACQ, 15, small=True)
    assert (e.materiel, e.amoa_projet, e.amoa_marche) == (300_000, 100_000, 15_000)
    assert e.total == 322_500 + 415_000
    upgrade = one(RuleSet.Y2022, UPG, 15, small=True)
    assert (upgrade.materiel, upgrade.amoa_projet, upgrade.amoa_marche) == (300_000, 100_000, 0)


def test_part_of_a_larger_grappe_is_taken_at_its_last_ranks():
    e = one(RuleSet.Y2022, ACQ, 10, grappe=60)
    assert e.reduced_rate_essms == 10 and e.total == 10 * 5_000
    assert any("rangs 51 à 60" in note for note in e.notes)
    first = estimate(RuleSet.Y2022, [Part(ACQ, 10)], grappe=60, segur=True, first_position=1)
    assert first.total == 10 * 21_500


def test_2025_table_and_whole_grappe_reduced_above_50():
    assert one(RuleSet.Y2025, ACQ, 50).total == 50 * 21_000
    e = one(RuleSet.Y2025, ACQ, 51)
    assert (e.usages, e.logiciel, e.reduced_rate_essms) == (51 * 2_000, 51 * 3_000, 51)
    assert any("toute la grappe est comptée au taux réduit" in note for note in e.notes)
    assert one(RuleSet.Y2025, UPG, 20).total == 100_000
    assert one(RuleSet.Y2025, UPG, 60).total == 120_000


def test_2025_not_referenced_is_not_eligible_and_has_no_sons_nor_fixed_extras():
    assert not one(RuleSet.Y2025, ACQ, 20, segur=False).eligible
    e = one(RuleSet.Y2025, UPG, 20, small=True)
    assert e.sons_editeur == 0 and e.materiel == 0 and e.amoa_projet == 0
    assert any("SONS" in note for note in e.notes)


@pytest.mark.parametrize(
    ("grappe", "territory", "eligible", "text"),
    [
        (9, Territory.MAINLAND, False, "écartée d'office"),
        (14, Territory.MAINLAND, False, "au moins 15"),
        (15, Territory.MAINLAND, True, ""),
        (7, Territory.CORSICA_OVERSEAS, False, "au moins 8"),
        (8, Territory.CORSICA_OVERSEAS, True, ""),
    ],
)
def test_minimum_size_by_territory(grappe, territory, eligible, text):
    e = one(RuleSet.Y2022, ACQ, grappe, territory=territory)
    assert e.eligible is eligible
    assert (e.total > 0) is eligible
    if text:
        assert text in e.motifs[0]


def test_sons_without_a_grappe_is_still_paid_to_the_editor():
    e = one(RuleSet.Y2022, UPG, 3)
    assert not e.eligible and e.total == 0
    assert e.sons_editeur == 3 * 2_920  # tranche B


@pytest.mark.parametrize(
    ("size", "letter", "price"),
    [
        (1, "A", 4_000),
        (2, "B", 2_920),
        (4, "B", 2_920),
        (5, "C", 2_190),
        (10, "C", 2_190),
        (11, "D", 1_643),
        (19, "D", 1_643),
        (20, "E", 1_232),
        (99, "E", 1_232),
        (100, "F", 1_133),
        (1_000, "F", 1_133),
    ],
)
def test_sons_tranche_boundaries(size, letter, price):
    assert sons_tranche(size) == (letter, price)
    assert sons_prestation(size) == size * price


def test_mixed_parts_take_consecutive_ranks():
    e = estimate(
        RuleSet.Y2022, [Part(ACQ, 45), Part(UPG, 10)], grappe=55, segur=True, sons_orders=[10]
    )
    # Acquisitions at ranks 1-45 (full), upgrades at 46-55: 4 full, 6 reduced.
    assert e.usages == 45 * 7_000 + 4 * 5_000 + 6 * 2_000
    assert e.logiciel == 45 * 14_500
    assert e.sons_editeur == 10 * 2_190


def test_impossible_inputs_raise():
    with pytest.raises(ValueError):
        estimate(RuleSet.Y2022, [Part(ACQ, 0)], grappe=15, segur=True)
    with pytest.raises(ValueError):
        estimate(RuleSet.Y2022, [Part(ACQ, 16)], grappe=15, segur=True)
    with pytest.raises(ValueError):
        sons_tranche(0)


# --- properties ---------------------------------------------------------------------------------

rule_sets = st.sampled_from(list(RuleSet))
projects = st.sampled_from(list(ProjectType))


@given(rule_sets, projects, st.integers(1, 300), st.booleans(), st.booleans())
def test_total_is_the_sum_of_its_parts(rule_set, project, n, segur, small):
    e = one(rule_set, project, n, segur=segur, small=small)
    assert e.total == e.usages + e.logiciel + e.materiel + e.amoa_projet + e.amoa_marche
    assert e.as_contract()["total"] == e.total
    assert e.full_rate_essms + e.reduced_rate_essms == (n if e.eligible else 0)
    assert e.eligible or e.total == 0


@given(projects, st.integers(15, 300), st.booleans())
def test_2022_more_essms_never_means_less_money(project, n, small):
    smaller = one(RuleSet.Y2022, project, n, small=small)
    larger = one(RuleSet.Y2022, project, n + 1, small=small)
    assert larger.total >= smaller.total


@given(projects, st.integers(15, 300))
def test_2025_monotonic_except_at_the_documented_cliff(project, n):
    smaller, larger = one(RuleSet.Y2025, project, n), one(RuleSet.Y2025, project, n + 1)
    if n == 50:  # 50 → 51: the whole grappe falls to the reduced rate (spec: say so).
        assert larger.total < smaller.total
    else:
        assert larger.total >= smaller.total


@given(st.integers(1, 400), st.data())
def test_2022_reduced_count_is_ranks_from_the_50th(grappe, data):
    first = data.draw(st.integers(1, grappe))
    count = data.draw(st.integers(1, grappe - first + 1))
    expected = sum(1 for rank in range(first, first + count) if rank >= 50)
    assert reduced_count(RuleSet.Y2022, grappe, first, count) == expected


@given(st.integers(1, 2_000))
def test_sons_price_per_essms_never_rises_with_the_order(size):
    assert sons_tranche(size + 1)[1] <= sons_tranche(size)[1]
