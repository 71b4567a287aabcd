"""RNIV identity status state machine (opendui.persons.rniv).

Facts come from shared/reference/services_socles.md §1.5 (2×2 status table,
transitions, downgrades, attributes, FR Core validation modes) and §1.1/§1.4
(the matricule INS only travels with a qualified identity).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.persons.rniv import (
    BLOCKING_ATTRIBUTES,
    HIGH_TRUST_DOCUMENTS,
    MINOR_DOCUMENTS,
    STATUS_TABLE,
    DocumentType,
    IdentityAttribute,
    IdentityRuleError,
    IdentityState,
    IdentityStatus,
    change_strict_trait,
    clear_attribute,
    document_problem,
    initial_state,
    insi_verification_failed,
    mark_attribute,
    may_transmit_ins,
    record_document_check,
    record_insi_retrieval,
    status_for,
)

PROV, RECUP, VALI, QUAL = (IdentityStatus(s) for s in ("PROV", "RECUP", "VALI", "QUAL"))
DOUTEUSE, FICTIVE, HOMONYME = "douteuse", "fictive", "homonyme"


def state(status: str, *attributes: str) -> IdentityState:
    return IdentityState.from_status(status, frozenset(IdentityAttribute(a) for a in attributes))


def refusal(exc: pytest.ExceptionInfo[IdentityRuleError]) -> str:
    message = str(exc.value)
    assert message[0].isupper() and message.endswith("."), message
    return message


# --- the 2×2 table (§1.5 [A]) ---------------------------------------------------


@pytest.mark.parametrize(
    ("retrieved", "checked", "expected"),
    [(False, False, PROV), (True, False, RECUP), (False, True, VALI), (True, True, QUAL)],
)
def test_status_table(retrieved, checked, expected):
    assert STATUS_TABLE[(retrieved, checked)] is expected
    assert status_for(retrieved, checked) is expected
    built = IdentityState(retrieved_from_insi=retrieved, document_checked=checked)
    assert built.status is expected
    assert IdentityState.from_status(expected) == built


def test_labels_are_french():
    assert [s.label for s in IdentityStatus] == [
        "Identité provisoire",
        "Identité récupérée",
        "Identité validée",
        "Identité qualifiée",
    ]
    assert IdentityAttribute.DOUTEUSE.label == "Identité douteuse"
    assert DocumentType.CN.label == "Carte nationale d'identité"
    assert DocumentType("eCN") is DocumentType.ECN


def test_high_trust_documents_are_those_named_by_the_reference():
    assert {d.value for d in HIGH_TRUST_DOCUMENTS} == {"CN", "PA", "CS", "eCN", "IN", "AV"}
    assert {d.value for d in DocumentType} == {
        "CN", "PA", "CS", "eCN", "IN", "AV", "LECV", "AN", "LEP", "CC", "ANCV",
    }  # fmt: skip
    assert DocumentType.PA.high_trust and not DocumentType.AN.high_trust


def test_a_new_identity_is_provisoire():
    assert initial_state().status is PROV
    assert initial_state().attributes == frozenset()


def test_state_with_forbidden_combination_cannot_be_built():
    with pytest.raises(IdentityRuleError, match="ne peut pas être validée"):
        state("QUAL", "douteuse")
    with pytest.raises(IdentityRuleError, match="fictive ne peut pas être validée"):
        state("VALI", "fictive")
    with pytest.raises(IdentityRuleError, match="aucun autre attribut"):
        state("PROV", "fictive", "homonyme")


# --- allowed transitions ----------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [("PROV", RECUP), ("VALI", QUAL), ("RECUP", RECUP)])
def test_insi_retrieval(before, after):
    assert record_insi_retrieval(state(before), traits_match=True).status is after


@pytest.mark.parametrize(("before", "after"), [("PROV", VALI), ("RECUP", QUAL), ("QUAL", QUAL)])
@pytest.mark.parametrize("document", sorted(HIGH_TRUST_DOCUMENTS))
def test_document_check(before, after, document):
    assert record_document_check(state(before), document).status is after


@pytest.mark.parametrize("document", sorted(MINOR_DOCUMENTS))
def test_minor_documents_validate_a_minor(document):
    assert record_document_check(state("RECUP"), document, person_is_minor=True).status is QUAL


@pytest.mark.parametrize("document", [DocumentType.LECV, DocumentType.ANCV])
def test_ehpad_direct_admission_documents(document):
    assert (
        record_document_check(state("PROV"), document, ehpad_direct_admission=True).status is VALI
    )


def test_homonyme_keeps_the_status_and_may_transmit():
    qualified = mark_attribute(state("QUAL"), HOMONYME)
    assert qualified.status is QUAL
    assert qualified.has(IdentityAttribute.HOMONYME)
    assert may_transmit_ins(qualified)
    assert clear_attribute(qualified, HOMONYME) == state("QUAL")


@pytest.mark.parametrize(
    ("before", "after"), [("QUAL", RECUP), ("VALI", PROV), ("RECUP", RECUP), ("PROV", PROV)]
)
@pytest.mark.parametrize("attribute", [DOUTEUSE, FICTIVE])
def test_doubtful_or_fictitious_loses_the_document_check(before, after, attribute):
    marked = mark_attribute(state(before), attribute)
    assert marked.status is after
    assert not marked.document_checked
    assert not may_transmit_ins(marked)


def test_douteuse_and_homonyme_may_coexist():
    marked = mark_attribute(mark_attribute(state("QUAL"), HOMONYME), DOUTEUSE)
    assert marked.attributes == {IdentityAttribute.HOMONYME, IdentityAttribute.DOUTEUSE}
    assert marked.status is RECUP


def test_clearing_douteuse_does_not_restore_the_status():
    cleared = clear_attribute(mark_attribute(state("QUAL"), DOUTEUSE), DOUTEUSE)
    assert cleared.status is RECUP and cleared.attributes == frozenset()
    assert clear_attribute(cleared, FICTIVE) == cleared
    assert record_document_check(cleared, DocumentType.CN).status is QUAL


@pytest.mark.parametrize(
    ("before", "adjective", "insi", "document"),
    [
        ("RECUP", "récupérée", True, False),
        ("VALI", "validée", False, True),
        ("QUAL", "qualifiée", True, True),
    ],
)
def test_changing_a_strict_trait_drops_to_provisoire_and_says_why(
    before, adjective, insi, document
):
    new_state, reason = change_strict_trait(state(before, "homonyme"))
    assert new_state == state("PROV", "homonyme")
    assert reason.startswith(f"L'identité {adjective} redevient provisoire")
    assert reason.endswith(".")
    assert ("INSi" in reason) is insi
    assert ("document d'identité" in reason) is document


def test_changing_a_strict_trait_of_a_provisional_identity():
    assert change_strict_trait(state("PROV")) == (state("PROV"), None)


@pytest.mark.parametrize(
    ("before", "after"), [("QUAL", VALI), ("RECUP", PROV), ("VALI", VALI), ("PROV", PROV)]
)
def test_insi_verification_failure_drops_the_retrieval(before, after):
    assert insi_verification_failed(state(before)).status is after


@pytest.mark.parametrize(
    ("status", "expected"), [("PROV", False), ("RECUP", False), ("VALI", False), ("QUAL", True)]
)
def test_ins_is_transmitted_only_for_a_qualified_identity(status, expected):
    assert may_transmit_ins(state(status)) is expected


# --- refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("before", ["PROV", "VALI", "RECUP", "QUAL"])
def test_insi_retrieval_refused_when_traits_differ(before):
    with pytest.raises(IdentityRuleError) as exc:
        record_insi_retrieval(state(before), traits_match=False)
    assert refusal(exc) == (
        "L'identité ne peut pas être récupérée : les traits renvoyés par INSi ne "
        "correspondent pas à ceux de la personne."
    )


@pytest.mark.parametrize("attribute", [DOUTEUSE, FICTIVE])
@pytest.mark.parametrize("before", ["PROV", "RECUP"])
def test_doubtful_or_fictitious_identity_cannot_be_validated(attribute, before):
    with pytest.raises(IdentityRuleError) as exc:
        record_document_check(state(before, attribute), DocumentType.PA)
    message = refusal(exc)
    assert message.startswith(f"Une identité {attribute} ne peut pas être validée")
    assert "une identité douteuse ou fictive ne peut pas être contrôlée" in message


@pytest.mark.parametrize("document", sorted(MINOR_DOCUMENTS))
def test_minor_documents_refused_for_an_adult(document):
    with pytest.raises(IdentityRuleError) as exc:
        record_document_check(state("PROV"), document)
    assert refusal(exc) == (
        f"Le document « {document.label} » n'est pas un document d'identité à haut niveau "
        "de confiance : il n'est admis que pour un mineur."
    )


@pytest.mark.parametrize("document", [DocumentType.LECV, DocumentType.ANCV])
def test_ehpad_documents_refused_outside_a_direct_ehpad_admission(document):
    with pytest.raises(IdentityRuleError) as exc:
        record_document_check(state("RECUP"), document, person_is_minor=True)
    assert refusal(exc).endswith("il n'est admis que pour une admission directe en EHPAD.")


def test_unknown_validation_mode_refused():
    with pytest.raises(IdentityRuleError) as exc:
        record_document_check(state("PROV"), "PC")
    assert refusal(exc) == (
        "Le mode de validation « PC » n'existe pas dans la liste FR Core des modes de "
        "validation de l'identité."
    )
    assert document_problem("CN") is None


@pytest.mark.parametrize(
    ("present", "added"), [(FICTIVE, HOMONYME), (FICTIVE, DOUTEUSE), (HOMONYME, FICTIVE)]
)
def test_fictive_goes_alone(present, added):
    with pytest.raises(IdentityRuleError) as exc:
        mark_attribute(state("PROV", present), added)
    assert refusal(exc) == (
        "Une identité fictive ne peut porter aucun autre attribut : seuls les attributs "
        "« douteuse » et « homonyme » peuvent coexister."
    )


# --- properties -------------------------------------------------------------------

booleans = st.booleans()
operations = st.one_of(
    st.tuples(st.just(record_insi_retrieval), booleans),
    st.tuples(st.just("document"), st.sampled_from(list(DocumentType)), booleans, booleans),
    st.tuples(st.just(mark_attribute), st.sampled_from(list(IdentityAttribute))),
    st.tuples(st.just(clear_attribute), st.sampled_from(list(IdentityAttribute))),
    st.tuples(st.just("strict")),
    st.tuples(st.just(insi_verification_failed)),
)


@st.composite
def valid_states(draw):
    attributes = draw(st.frozensets(st.sampled_from(list(IdentityAttribute))))
    if IdentityAttribute.FICTIVE in attributes:
        attributes = frozenset({IdentityAttribute.FICTIVE})
    checked = draw(booleans) and not (attributes & BLOCKING_ATTRIBUTES)
    return IdentityState(
        attributes=attributes, retrieved_from_insi=draw(booleans), document_checked=checked
    )


def apply(current: IdentityState, operation: tuple) -> IdentityState:
    kind, *args = operation
    if kind == "document":
        document, minor, ehpad = args
        return record_document_check(
            current, document, person_is_minor=minor, ehpad_direct_admission=ehpad
        )
    if kind == "strict":
        new_state, reason = change_strict_trait(current)
        assert new_state.status is PROV
        assert (reason is None) is (current.status is PROV)
        return new_state
    return kind(current, *args)


def check_invariants(current: IdentityState) -> None:
    assert current.status is STATUS_TABLE[(current.retrieved_from_insi, current.document_checked)]
    blocked = bool(current.attributes & BLOCKING_ATTRIBUTES)
    assert not (blocked and current.status in (VALI, QUAL))
    assert may_transmit_ins(current) is (current.status is QUAL and not blocked)
    if IdentityAttribute.FICTIVE in current.attributes:
        assert current.attributes == {IdentityAttribute.FICTIVE}


def refusal_is_legitimate(current: IdentityState, operation: tuple) -> bool:
    """Refusals happen only for the reasons of §1.5, never as a side effect."""
    kind, *args = operation
    if kind is record_insi_retrieval:
        return not args[0]
    if kind == "document":
        document, minor, ehpad = args
        blocked = bool(current.attributes & BLOCKING_ATTRIBUTES)
        return (
            blocked
            or document_problem(document, person_is_minor=minor, ehpad_direct_admission=ehpad)
            is not None
        )
    if kind is mark_attribute:
        return IdentityAttribute.FICTIVE in current.attributes | {args[0]} and (
            len(current.attributes | {args[0]}) > 1
        )
    return False


@given(valid_states(), st.lists(operations, max_size=30))
def test_any_sequence_keeps_the_invariants(start, sequence):
    current = start
    check_invariants(current)
    for operation in sequence:
        try:
            current = apply(current, operation)
        except IdentityRuleError as error:
            assert str(error).endswith(".")
            assert refusal_is_legitimate(current, operation), (current, operation)
        check_invariants(current)


@given(valid_states())
def test_change_strict_trait_always_ends_in_provisoire(start):
    new_state, _ = change_strict_trait(start)
    assert new_state.status is PROV
    assert new_state.attributes == start.attributes


@given(valid_states(), st.sampled_from(list(DocumentType)), booleans, booleans)
def test_a_successful_document_check_sets_only_that_criterion(start, document, minor, ehpad):
    try:
        after = record_document_check(
            start, document, person_is_minor=minor, ehpad_direct_admission=ehpad
        )
    except IdentityRuleError:
        return
    assert after.document_checked
    assert after.retrieved_from_insi is start.retrieved_from_insi
    assert after.attributes == start.attributes
