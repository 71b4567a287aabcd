"""AGGIR rules: oracles from shared/reference/domain_rules.md §1 and properties of annexe 2-2."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.evaluations.aggir import (
    ADVERBS,
    DISCRIMINANT_VARIABLES,
    GMP_POINTS,
    ILLUSTRATIVE_VARIABLES,
    RANG_TO_GIR,
    VARIABLE_CODES,
    AggirError,
    GirResult,
    coding_problem,
    combine_sub_variables,
    compute_gir,
    gmp,
    letter_from_adverbs,
    normalise_coding,
)

USEFUL_CODINGS = ["".join(letters) for letters in itertools.product("ABC", repeat=8)]
letters = st.sampled_from("ABC")
codings = st.text(alphabet="ABC", min_size=10, max_size=10)


# ------------------------------------------------------------------ variables


def test_discriminant_variables_in_algorithm_order_with_sub_variables():
    assert VARIABLE_CODES == (
        "COH",
        "ORI",
        "TOI",
        "HAB",
        "ALI",
        "ELI",
        "TRA",
        "DPI",
        "DPE",
        "COM",
    )
    assert {v.code: v.sub_variables for v in DISCRIMINANT_VARIABLES} == {
        "COH": ("communication", "comportement"),
        "ORI": ("temps", "espace"),
        "TOI": ("haut", "bas"),
        "HAB": ("haut", "moyen", "bas"),
        "ALI": ("se servir", "manger"),
        "ELI": ("urinaire", "fécale"),
        "TRA": (),
        "DPI": (),
        "DPE": (),
        "COM": (),
    }
    assert all(variable.label for variable in DISCRIMINANT_VARIABLES)


def test_seven_illustrative_variables():
    assert [v.label for v in ILLUSTRATIVE_VARIABLES] == [
        "Gestion",
        "Cuisine",
        "Ménage",
        "Transports",
        "Achats",
        "Suivi du traitement",
        "Activités de temps libre",
    ]
    assert not set(v.code for v in ILLUSTRATIVE_VARIABLES) & set(VARIABLE_CODES)


# ------------------------------------------------------------------ adverbs (§1.3)


def test_adverbs_are_s_t_c_h():
    assert ADVERBS == ("spontanément", "totalement", "correctement", "habituellement")


@pytest.mark.parametrize("answers", list(itertools.product((True, False), repeat=4)))
def test_adverbs_to_letter_table(answers):
    """All four → A, none → C, one to three missing → B (all 16 combinations)."""
    expected = {4: "A", 0: "C"}.get(sum(answers), "B")
    spontaneously, totally, correctly, habitually = answers
    letter = letter_from_adverbs(
        spontaneously=spontaneously, totally=totally, correctly=correctly, habitually=habitually
    )
    assert letter == expected


# ------------------------------------------------------------------ sub-variables (§1.4)

PAIRS = ["".join(pair) for pair in itertools.product("ABC", repeat=2)]
ANY_C_WINS = dict(AA="A", AB="B", BA="B", BB="B", AC="C", CA="C", BC="C", CB="C", CC="C")
UNANIMOUS = dict(AA="A", AB="B", BA="B", BB="B", AC="B", CA="B", BC="B", CB="B", CC="C")
# Alimentation: the FreeHealth/DREES majority the reference recommends, AC/CA → B.
ALIMENTATION = dict(AA="A", AB="B", BA="B", BB="B", AC="B", CA="B", BC="C", CB="C", CC="C")


@pytest.mark.parametrize(
    ("code", "table"),
    [
        ("COH", ANY_C_WINS),
        ("ORI", ANY_C_WINS),
        ("ELI", ANY_C_WINS),
        ("TOI", UNANIMOUS),
        ("ALI", ALIMENTATION),
    ],
)
def test_two_sub_variable_combination_tables(code, table):
    assert {pair: combine_sub_variables(code, pair) for pair in PAIRS} == table


def test_habillage_needs_all_three_alike_for_a_or_c():
    results = {
        "".join(triple): combine_sub_variables("HAB", triple)
        for triple in itertools.product("ABC", repeat=3)
    }
    assert results.pop("AAA") == "A"
    assert results.pop("CCC") == "C"
    assert set(results.values()) == {"B"}


def test_alimentation_a_and_c_gives_b_not_c():
    """§1.4 caveat: Care_link would say C here; the reference recommends B."""
    assert combine_sub_variables("ALI", {"se servir": "A", "manger": "C"}) == "B"
    assert combine_sub_variables("ALI", {"se servir": "C", "manger": "A"}) == "B"


def test_combination_accepts_a_mapping_lowercase_and_single_letter_variables():
    assert combine_sub_variables("hab", {"bas": "a", "haut": "A", "moyen": "A"}) == "A"
    assert combine_sub_variables("TRA", ["c"]) == "C"


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("XYZ", "AA", "Variable « XYZ » inconnue : les variables discriminantes sont COH ORI"),
        (
            "HAB",
            "AA",
            "La variable HAB (Habillage) a 3 sous-variables (haut, moyen, bas) : 2 lettres reçues.",
        ),
        (
            "ALI",
            "AD",
            "Lettre « D » pour la sous-variable « manger » de ALI : seules A, B ou C sont admises.",
        ),
        (
            "ELI",
            {"urinaire": "A"},
            "La variable ELI (Élimination) attend les sous-variables urinaire, fécale ; "
            "manquantes : fécale.",
        ),
    ],
)
def test_combination_refusals_are_french(code, value, message):
    with pytest.raises(AggirError) as error:
        combine_sub_variables(code, value)
    assert str(error.value).startswith(message)


# ------------------------------------------------------------------ algorithm (§1.5)


def test_reference_oracles():
    assert compute_gir("AAAAAAAAAA") == GirResult(gir=6, rang=13, group="H", score=0)
    assert compute_gir("CCCCCCCCCC").gir == 1
    assert compute_gir("BBBBBBBBBB").gir == 4


def test_group_a_third_threshold_gives_gir_2_not_1():
    """The old FreeHealth pitfall (§1.5): A-sum 3400 is rang 3, hence GIR 2."""
    assert compute_gir("CCAAAAACAA") == GirResult(gir=2, rang=3, group="A", score=3400)


def test_distribution_over_all_codings_of_the_useful_variables():
    distribution = Counter(compute_gir(coding + "AA").gir for coding in USEFUL_CODINGS)
    assert distribution == {1: 8, 2: 3208, 3: 2400, 4: 760, 5: 157, 6: 28}


@pytest.mark.parametrize(
    ("coding", "rang", "group", "score"),
    [
        # Sums exactly on each threshold: the annexe says "supérieure ou égale".
        ("CCCCACCCAA", 1, "A", 4380),
        ("CCACACCAAA", 2, "A", 4140),
        ("CCAAAAACAA", 3, "A", 3400),  # no coding sums exactly 3390
        ("ACAAABCAAA", 4, "B", 2016),
        ("AACCCCCCAA", 5, "C", 1700),
        ("AABBAACCAA", 6, "C", 1432),
        ("AAAAABCCAA", 7, "D", 2400),
        ("AAAABCBCAA", 8, "E", 1200),
        ("AAAAACBCAA", 9, "F", 800),
        ("ACAAABBBAA", 10, "G", 650),
        ("AAAAABBAAA", 11, "H", 4000),
        ("AAAAAABAAA", 12, "H", 2000),
        ("AAAAAAABAA", 13, "H", 1000),
    ],
)
def test_thresholds_are_inclusive(coding, rang, group, score):
    result = compute_gir(coding)
    assert (result.rang, result.group, result.score) == (rang, group, score)
    assert result.gir == RANG_TO_GIR[rang]


def test_rang_to_gir_table():
    assert RANG_TO_GIR == {
        1: 1,
        2: 2,
        3: 2,
        4: 2,
        5: 2,
        6: 2,
        7: 2,
        8: 3,
        9: 3,
        10: 4,
        11: 4,
        12: 5,
        13: 6,
    }


def test_every_rang_is_reachable():
    assert {compute_gir(coding + "AA").rang for coding in USEFUL_CODINGS} == set(range(1, 14))


@given(codings, letters, letters)
def test_dpe_and_com_never_change_the_gir(coding, dpe, com):
    assert compute_gir(coding[:8] + dpe + com) == compute_gir(coding)


def test_lowercase_coding_gives_the_same_result():
    assert compute_gir("ccaaaaacaa") == compute_gir("CCAAAAACAA")
    assert compute_gir(list("CCAAAAACAA")).gir == 2


# ------------------------------------------------------------------ monotonicity


def _worsenings():
    """(coding, worse coding, changed position) for every single-step A→B or B→C."""
    for coding in USEFUL_CODINGS:
        for position, letter in enumerate(coding):
            if letter != "C":
                worse = coding[:position] + "BC"["AB".index(letter)] + coding[position + 1 :]
                yield coding, worse, position


def test_official_algorithm_is_not_monotonic_for_tra_and_dpi():
    """Making one variable worse can *improve* the GIR in the official tables.

    Checked exhaustively: of the 8 × 3^7 × 2 single-step worsenings, exactly
    30 raise the GIR number, all on TRA or DPI, because of the text itself:
    - group B weighs DPI negatively (B −40, C −80): ACAAABCA sums 2016 (rang 4,
      GIR 2), ACAAABCB sums 1976, falls through to group E, rang 8, GIR 3;
    - group H weighs TRA C (1000) below TRA B (2000): AAAAAABA is rang 12
      (GIR 5), AAAAAACA rang 13 (GIR 6).
    For the six other variables a worse letter never improves the GIR.
    """
    improved = [
        (coding, worse, position)
        for coding, worse, position in _worsenings()
        if compute_gir(worse + "AA").gir > compute_gir(coding + "AA").gir
    ]
    assert len(improved) == 30
    by_variable = Counter(VARIABLE_CODES[position] for _, _, position in improved)
    assert by_variable == {"TRA": 16, "DPI": 14}
    assert ("ACAAABCA", "ACAAABCB", 7) in improved
    assert ("AAAAAABA", "AAAAAACA", 6) in improved
    assert compute_gir("ACAAABCAAA").gir == 2
    assert compute_gir("ACAAABCBAA").gir == 3
    assert compute_gir("AAAAAABAAA").gir == 5
    assert compute_gir("AAAAAACAAA").gir == 6


@given(codings, st.sampled_from(range(6)))
def test_worse_letter_never_improves_the_gir_outside_tra_and_dpi(coding, position):
    letter = coding[position]
    if letter == "C":
        return
    worse = coding[:position] + "BC"["AB".index(letter)] + coding[position + 1 :]
    assert compute_gir(worse).gir <= compute_gir(coding).gir


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "AAAA",
            "Le codage AGGIR « AAAA » compte 4 caractères ; il en faut 10, une lettre A, B ou C "
            "par variable dans l'ordre COH ORI TOI HAB ALI ELI TRA DPI DPE COM.",
        ),
        (
            "AAADAAAAAA",
            "Le codage AGGIR « AAADAAAAAA » contient un caractère non admis : « D » en position 4 "
            "(HAB, Habillage). Seules les lettres A, B ou C sont admises.",
        ),
        (
            "XAAAAAAAA1",
            "Le codage AGGIR « XAAAAAAAA1 » contient des caractères non admis : « X » en position "
            "1 (COH, Cohérence) ; « 1 » en position 10 (COM, Communication à distance). "
            "Seules les lettres A, B ou C sont admises.",
        ),
        (None, "Le codage AGGIR doit être une chaîne de 10 lettres A, B ou C."),
    ],
)
def test_coding_problems_name_length_or_position_and_variable(value, message):
    assert coding_problem(value) == message
    with pytest.raises(AggirError, match=r"^Le codage AGGIR"):
        compute_gir(value)


def test_valid_coding_has_no_problem_and_is_upper_cased():
    assert coding_problem("abcabcabca") is None
    assert normalise_coding("abcabcabca") == "ABCABCABCA"


# ------------------------------------------------------------------ GMP (§1.6)


def test_gmp_points_are_annexe_3_6_column_c():
    assert GMP_POINTS == {1: 1000, 2: 840, 3: 660, 4: 420, 5: 250, 6: 70}


@pytest.mark.parametrize(
    ("girs", "expected"),
    [
        ([1], Decimal("1000.00")),
        ([6, 6], Decimal("70.00")),
        ([1, 2, 3, 4, 5, 6], Decimal("540.00")),  # 3240 / 6
        ([2, 2, 4], Decimal("700.00")),  # 2100 / 3
        ([1, 4, 6], Decimal("496.67")),  # 1490 / 3 = 496.666…
        ([2, 4, 4], Decimal("560.00")),
        ([1, 1, 1, 1, 1, 1, 1, 6], Decimal("883.75")),  # 7070 / 8
        ([5, 6, 6], Decimal("130.00")),
        ([3, 6, 6], Decimal("266.67")),  # 800 / 3
        ([5] * 3 + [6] * 5, Decimal("137.50")),  # 1100 / 8
    ],
)
def test_gmp_examples(girs, expected):
    assert gmp(girs) == expected


def test_gmp_rounds_half_up_at_two_decimals():
    # 70 × 7 + 1000 = 1490 over 8 → 186.25 exact; 1000+840+70 = 1910/3 = 636.666… → 636.67
    assert gmp([6] * 7 + [1]) == Decimal("186.25")
    assert gmp([1, 2, 6]) == Decimal("636.67")
    # 1000 + 70 × 15 = 2050 / 16 = 128.125 → half up → 128.13
    assert gmp([1] + [6] * 15) == Decimal("128.13")


@pytest.mark.parametrize(
    ("girs", "message"),
    [
        ([], "Le GMP se calcule sur au moins un résident : la liste des GIR est vide."),
        ([1, 7], "GIR « 7 » en position 2 : un GIR est un entier de 1 à 6."),
        ([True], "GIR « True » en position 1 : un GIR est un entier de 1 à 6."),
        (["2"], "GIR « 2 » en position 1 : un GIR est un entier de 1 à 6."),
    ],
)
def test_gmp_refusals(girs, message):
    with pytest.raises(AggirError) as error:
        gmp(girs)
    assert str(error.value) == message
