"""RNIV identity status: a pure state machine with no Django import.

Source: shared/reference/services_socles.md §1.5 (statuses, transitions,
attributes, FR Core validation modes), §1.1 item 3 and §1.4 (the matricule INS
is only emitted for a qualified identity).

The status is never stored on its own: it is the product of two independent
criteria (§1.5 [A], FR Core `fr-core-cs-identity-status`, RNIV EXI SI 07):

|                          | not retrieved from INSi | retrieved from INSi |
|--------------------------|-------------------------|---------------------|
| no high-trust document   | PROV provisoire         | RECUP récupérée     |
| high-trust document seen | VALI validée            | QUAL qualifiée      |

`STATUS_TABLE` encodes that table once; `IdentityState.status` is computed
from it, so a state whose status disagrees with its criteria cannot exist.

Every transition returns a new `IdentityState` or raises `IdentityRuleError`
whose message is one French sentence to show the user, like the checks of
`opendui.persons.ins`. Who checked the document and when, and the history of
statuses, are the service layer's business: this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IdentityRuleError(Exception):
    """A transition the RNIV forbids; `str(error)` is a French sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IdentityStatus(StrEnum):
    """The 4 mutually exclusive statuses (§1.5 [A], FR Core codes)."""

    PROV = "PROV"
    RECUP = "RECUP"
    VALI = "VALI"
    QUAL = "QUAL"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS: dict[IdentityStatus, str] = {
    IdentityStatus.PROV: "Identité provisoire",
    IdentityStatus.RECUP: "Identité récupérée",
    IdentityStatus.VALI: "Identité validée",
    IdentityStatus.QUAL: "Identité qualifiée",
}

# §1.5 [A]: (retrieved from INSi, checked against a high-trust document) -> status.
STATUS_TABLE: dict[tuple[bool, bool], IdentityStatus] = {
    (False, False): IdentityStatus.PROV,
    (True, False): IdentityStatus.RECUP,
    (False, True): IdentityStatus.VALI,
    (True, True): IdentityStatus.QUAL,
}


def status_for(retrieved_from_insi: bool, document_checked: bool) -> IdentityStatus:
    """The status of the §1.5 table for the two criteria."""
    return STATUS_TABLE[(bool(retrieved_from_insi), bool(document_checked))]


class IdentityAttribute(StrEnum):
    """Identity attributes (§1.5 [A]: FR Core table `fr-core-v2-0445` has
    `DOUT` douteuse, `FICT` fictive and `HOMD`/`HOMA` homonymes).

    The values are the RNIV words, not the HL7 codes: the FHIR/HL7 mapping
    (`hl7_code`) keeps `HOMD` for homonyme; whether `HOMA` (homonyme avéré?)
    should be used instead is not stated in the reference.
    """

    DOUTEUSE = "douteuse"
    FICTIVE = "fictive"
    HOMONYME = "homonyme"

    @property
    def label(self) -> str:
        return _ATTRIBUTE_LABELS[self]

    @property
    def hl7_code(self) -> str:
        return _ATTRIBUTE_HL7_CODES[self]


_ATTRIBUTE_LABELS: dict[IdentityAttribute, str] = {
    IdentityAttribute.DOUTEUSE: "Identité douteuse",
    IdentityAttribute.FICTIVE: "Identité fictive",
    IdentityAttribute.HOMONYME: "Identité homonyme",
}
_ATTRIBUTE_HL7_CODES: dict[IdentityAttribute, str] = {
    IdentityAttribute.DOUTEUSE: "DOUT",
    IdentityAttribute.FICTIVE: "FICT",
    IdentityAttribute.HOMONYME: "HOMD",
}
# Attributes that forbid the document-check criterion (§1.5 [B]: "a doubtful or
# fictitious identity cannot be validated"; a QUAL identity cannot be douteuse).
BLOCKING_ATTRIBUTES = frozenset({IdentityAttribute.DOUTEUSE, IdentityAttribute.FICTIVE})


class DocumentType(StrEnum):
    """Identity validation modes, FR Core `fr-core-cs-mode-validation-identity` (§1.5 [A]).

    The code list is [A]; the labels are those of the FR Core CodeSystem. Which
    modes are acceptable for whom is only partly stated:

    - CN, PA, CS, eCN, IN, AV are named by the reference as high-trust devices
      for anybody: `high_trust` is True.
    - LECV, ANCV (livret de famille or extrait d'acte de naissance + carte Vitale
      with photo): the ESMS special case of a direct EHPAD admission (§1.5 [B],
      ARS Auvergne-Rhône-Alpes 2024 note). Accepted only with
      `ehpad_direct_admission=True`.
    - AN, LEP, CC (extrait d'acte de naissance, livret de famille des parents,
      carnet de circulation pour étranger mineur): "minors/ASE have their own
      rules" (§1.5 [B]). Attributing these three modes to minors is an
      inference from their FR Core labels [C]: accepted only with
      `person_is_minor=True`.
    """

    CN = "CN"
    PA = "PA"
    CS = "CS"
    ECN = "eCN"
    IN = "IN"
    AV = "AV"
    LECV = "LECV"
    AN = "AN"
    LEP = "LEP"
    CC = "CC"
    ANCV = "ANCV"

    @property
    def label(self) -> str:
        return _DOCUMENT_LABELS[self]

    @property
    def high_trust(self) -> bool:
        """High-trust for any person, with no special case (§1.5)."""
        return self in HIGH_TRUST_DOCUMENTS


_DOCUMENT_LABELS: dict[DocumentType, str] = {
    DocumentType.CN: "Carte nationale d'identité",
    DocumentType.PA: "Passeport",
    DocumentType.CS: "Carte de séjour ou titre de séjour",
    DocumentType.ECN: "e-carte d'identité",
    DocumentType.IN: "Identité Numérique La Poste",
    DocumentType.AV: "Application Carte Vitale",
    DocumentType.LECV: "Livret de famille, accompagné de la carte Vitale avec photographie",
    DocumentType.AN: "Extrait d'acte de naissance",
    DocumentType.LEP: "Livret de famille des parents",
    DocumentType.CC: "Carnet de circulation pour étranger mineur",
    DocumentType.ANCV: "Extrait d'acte de naissance, accompagné de la carte Vitale avec photographie",
}
HIGH_TRUST_DOCUMENTS = frozenset(
    {
        DocumentType.CN,
        DocumentType.PA,
        DocumentType.CS,
        DocumentType.ECN,
        DocumentType.IN,
        DocumentType.AV,
    }
)
# §1.5 [B]: ESMS special case, direct admission in an EHPAD.
EHPAD_ADMISSION_DOCUMENTS = frozenset({DocumentType.LECV, DocumentType.ANCV})
# §1.5 [B]/[C]: minors (see DocumentType).
MINOR_DOCUMENTS = frozenset({DocumentType.AN, DocumentType.LEP, DocumentType.CC})


@dataclass(frozen=True)
class IdentityState:
    """One identity's RNIV state; `status` is derived, never given.

    Build it with the two criteria and the attributes:
    `IdentityState(attributes=frozenset(), retrieved_from_insi=True, document_checked=False)`.
    Raises IdentityRuleError when the combination is one the RNIV forbids
    (a douteuse or fictive identity with the document-check criterion, or
    fictive combined with another attribute).
    """

    status: IdentityStatus = field(init=False)
    attributes: frozenset[IdentityAttribute] = frozenset()
    retrieved_from_insi: bool = False
    document_checked: bool = False

    def __post_init__(self) -> None:
        attributes = frozenset(IdentityAttribute(a) for a in self.attributes)
        object.__setattr__(self, "attributes", attributes)
        object.__setattr__(self, "retrieved_from_insi", bool(self.retrieved_from_insi))
        object.__setattr__(self, "document_checked", bool(self.document_checked))
        object.__setattr__(
            self, "status", status_for(self.retrieved_from_insi, self.document_checked)
        )
        problem = _combination_problem(attributes)
        if problem:
            raise IdentityRuleError(problem)
        if self.document_checked and attributes & BLOCKING_ATTRIBUTES:
            raise IdentityRuleError(_blocked_message(attributes))

    @classmethod
    def from_status(
        cls, status: IdentityStatus | str, attributes: frozenset[IdentityAttribute] = frozenset()
    ) -> IdentityState:
        """The state of a stored status (inverse of the §1.5 table)."""
        wanted = IdentityStatus(status)
        for (retrieved, checked), table_status in STATUS_TABLE.items():
            if table_status is wanted:
                return cls(
                    attributes=attributes, retrieved_from_insi=retrieved, document_checked=checked
                )
        raise AssertionError("unreachable: STATUS_TABLE covers every status")

    def has(self, attribute: IdentityAttribute) -> bool:
        return attribute in self.attributes


def _combination_problem(attributes: frozenset[IdentityAttribute]) -> str | None:
    """§1.5 [B]: "only douteuse + homonyme may coexist", read as: fictive goes alone."""
    if IdentityAttribute.FICTIVE in attributes and len(attributes) > 1:
        return (
            "Une identité fictive ne peut porter aucun autre attribut : seuls les attributs "
            "« douteuse » et « homonyme » peuvent coexister."
        )
    return None


def _blocked_message(attributes: frozenset[IdentityAttribute]) -> str:
    word = "fictive" if IdentityAttribute.FICTIVE in attributes else "douteuse"
    return (
        f"Une identité {word} ne peut pas être validée : une identité douteuse ou fictive "
        "ne peut pas être contrôlée sur un document d'identité à haut niveau de confiance."
    )


def initial_state() -> IdentityState:
    """A newly created identity: provisoire, no attribute."""
    return IdentityState()


def _replace(
    state: IdentityState,
    *,
    attributes: frozenset[IdentityAttribute] | None = None,
    retrieved_from_insi: bool | None = None,
    document_checked: bool | None = None,
) -> IdentityState:
    return IdentityState(
        attributes=state.attributes if attributes is None else attributes,
        retrieved_from_insi=(
            state.retrieved_from_insi if retrieved_from_insi is None else retrieved_from_insi
        ),
        document_checked=state.document_checked if document_checked is None else document_checked,
    )


def record_insi_retrieval(state: IdentityState, traits_match: bool) -> IdentityState:
    """An INSi call returned one identity (CR=00): PROV → RECUP, VALI → QUAL (§1.5).

    `traits_match` is the outcome of the comparison of the returned traits with
    the person, done by the trained user; without it the criterion is not met.
    Already retrieved (RECUP, QUAL): the state is unchanged (re-verification).
    """
    if not traits_match:
        raise IdentityRuleError(
            "L'identité ne peut pas être récupérée : les traits renvoyés par INSi ne "
            "correspondent pas à ceux de la personne."
        )
    return _replace(state, retrieved_from_insi=True)


def document_problem(
    document: DocumentType | str,
    *,
    person_is_minor: bool = False,
    ehpad_direct_admission: bool = False,
) -> str | None:
    """None when `document` may validate the identity, else a French sentence (§1.5)."""
    try:
        doc = DocumentType(document)
    except ValueError:
        return (
            f"Le mode de validation « {document} » n'existe pas dans la liste FR Core des "
            "modes de validation de l'identité."
        )
    if doc in HIGH_TRUST_DOCUMENTS:
        return None
    if doc in MINOR_DOCUMENTS:
        if person_is_minor:
            return None
        return (
            f"Le document « {doc.label} » n'est pas un document d'identité à haut niveau de "
            "confiance : il n'est admis que pour un mineur."
        )
    if doc in EHPAD_ADMISSION_DOCUMENTS:
        if ehpad_direct_admission:
            return None
        return (
            f"Le document « {doc.label} » n'est pas un document d'identité à haut niveau de "
            "confiance : il n'est admis que pour une admission directe en EHPAD."
        )
    raise AssertionError(f"unclassified validation mode {doc}")  # pragma: no cover


def record_document_check(
    state: IdentityState,
    document: DocumentType | str,
    *,
    person_is_minor: bool = False,
    ehpad_direct_admission: bool = False,
) -> IdentityState:
    """The traits were checked against a high-trust document: PROV → VALI, RECUP → QUAL (§1.5).

    Refused for a document that is not high-trust for this person (see
    `DocumentType`), and for a douteuse or fictive identity. Already checked
    (VALI, QUAL): the state is unchanged (a new check of the same criterion).
    """
    if state.attributes & BLOCKING_ATTRIBUTES:
        raise IdentityRuleError(_blocked_message(state.attributes))
    problem = document_problem(
        document, person_is_minor=person_is_minor, ehpad_direct_admission=ehpad_direct_admission
    )
    if problem:
        raise IdentityRuleError(problem)
    return _replace(state, document_checked=True)


def mark_attribute(state: IdentityState, attribute: IdentityAttribute | str) -> IdentityState:
    """Add an attribute (§1.5).

    douteuse / fictive withdraw the document-check criterion (VALI → PROV,
    QUAL → RECUP): "a doubtful or fictitious identity cannot be validated" and a
    QUAL identity cannot be douteuse. The INSi-retrieval criterion is a fact
    about the traits and is kept [B: the reference only says "drop the status"].
    homonyme leaves the status unchanged. Fictive cannot be combined with another
    attribute (§1.5 [B], "only douteuse + homonyme may coexist").
    """
    attr = IdentityAttribute(attribute)
    attributes = state.attributes | {attr}
    problem = _combination_problem(attributes)
    if problem:
        raise IdentityRuleError(problem)
    if attr in BLOCKING_ATTRIBUTES:
        return _replace(state, attributes=attributes, document_checked=False)
    return _replace(state, attributes=attributes)


def clear_attribute(state: IdentityState, attribute: IdentityAttribute | str) -> IdentityState:
    """Remove an attribute; the status is not restored (the criteria must be re-established).

    Removing an attribute the identity does not carry leaves the state unchanged.
    """
    attr = IdentityAttribute(attribute)
    return _replace(state, attributes=state.attributes - {attr})


def change_strict_trait(state: IdentityState) -> tuple[IdentityState, str | None]:
    """A strict trait (§1.4) was modified by hand: both criteria are lost, status PROV (§1.5).

    Returns the new state and the French reason to show the user (None when the
    identity was already provisoire and nothing was lost).
    """
    new_state = _replace(state, retrieved_from_insi=False, document_checked=False)
    if state.status is IdentityStatus.PROV:
        return new_state, None
    actions = []
    if state.retrieved_from_insi:
        actions.append("interroger de nouveau INSi")
    if state.document_checked:
        actions.append("contrôler de nouveau un document d'identité à haut niveau de confiance")
    adjective = state.status.label.lower().removeprefix("identité ")
    reason = (
        f"L'identité {adjective} redevient provisoire car un trait strict a été modifié : "
        f"il faut {' et '.join(actions)}."
    )
    return new_state, reason


def withdraw_qualification(state: IdentityState) -> tuple[IdentityState, str]:
    """Leave the qualified status on purpose, so that a strict trait can be corrected.

    A qualified identity's strict traits change only through INSi (§1.1 item 2: never
    overwrite traits without the user confirming an INSi answer). When the traits
    themselves are wrong (the document was misread, INSi was asked with the wrong
    person), the user withdraws the qualification with a reason first: the same
    downgrade as a manual change of a strict trait (§1.5: both criteria are lost, status
    PROV), decided before the correction rather than after it. Refused for an identity
    that is not qualified: there is nothing to withdraw.
    """
    if state.status is not IdentityStatus.QUAL:
        raise IdentityRuleError(
            f"L'identité n'est pas qualifiée ({state.status.label.lower()}) : ses traits "
            "stricts se corrigent directement, sans retrait de qualification."
        )
    new_state = _replace(state, retrieved_from_insi=False, document_checked=False)
    return new_state, (
        "Qualification retirée pour corriger un trait strict : l'identité redevient "
        "provisoire ; il faudra interroger de nouveau INSi et contrôler de nouveau un "
        "document d'identité à haut niveau de confiance."
    )


def insi_verification_failed(state: IdentityState) -> IdentityState:
    """A re-verification with INSi failed: the retrieval criterion is lost (§1.5).

    QUAL → VALI, RECUP → PROV; PROV and VALI are unchanged.
    """
    return _replace(state, retrieved_from_insi=False)


def may_transmit_ins(state: IdentityState) -> bool:
    """Whether the matricule INS and its OID may be displayed, printed or transmitted.

    Only for a qualified identity (§1.1 item 3, §1.4, §1.5: FR Core profile,
    EXI ID 29), and never for a douteuse or fictive one.
    """
    return state.status is IdentityStatus.QUAL and not (state.attributes & BLOCKING_ATTRIBUTES)
