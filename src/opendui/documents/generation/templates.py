"""Generated documents: contrat de séjour, DIPC, avenant, attestation de présence,
certificat d'admission and letter to an external professional, as PDF.

Each function takes domain objects (stays.Contract, stays.Stay, persons.Person,
organisations.Facility) and plain values, renders one HTML template of
documents/generation/ with WeasyPrint (fonts and CSS shared in `base.html`) and returns a
`GeneratedDocument`: its local type code, title, data category, act date and PDF bytes.
Nothing is stored nor audited here: the caller has checked the permission and stores the
result with `documents.services.store_document(...)`, which audits the write.

The INS (`ins.py`, `datamatrix.py`): a document whose data category is a health one
(care, medical, psychological) carries the INS block and the INS datamatrix when the
identity is qualified, and says that it carries none otherwise. The administrative
documents (contract, DIPC, avenant, attestation, certificate, and a letter without
health data) do not carry the INS: they show the identity traits only. Why: see
docs/architecture.md, "Generated documents and the INS datamatrix".

Legal mentions: CASF L311-3, L311-4, L311-4-1 (EHPAD) and D311, as summarised in
shared/reference/domain_rules.md §3.1 (the deadlines come from `stays.rules`).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from opendui.accounts.permissions import DataCategory

from .datamatrix import datamatrix_png, payload_for
from .ins import InsBlock, ins_block

TEMPLATE_DIR = "documents/generation/"
#: FINESS category of an EHPAD (NOS TRE_R66, services_socles.md §6.3): L311-4-1 applies.
EHPAD_CATEGORY = "500"
HEALTH_CATEGORIES = frozenset({DataCategory.CARE, DataCategory.MEDICAL, DataCategory.PSYCHOLOGICAL})


class DocumentKind(StrEnum):
    """Local medico-social type codes of the generated documents."""

    CONTRAT_SEJOUR = "CONTRAT-SEJOUR"
    DIPC = "DIPC"
    AVENANT = "AVENANT"
    ATTESTATION_PRESENCE = "ATTEST-PRESENCE"
    CERTIFICAT_ADMISSION = "CERTIF-ADMISSION"
    COURRIER = "COURRIER"
    PROJET_PERSONNALISE = "PROJET-PERSO"


def kind_label(kind: DocumentKind) -> str:
    return {
        DocumentKind.CONTRAT_SEJOUR: _("Contrat de séjour"),
        DocumentKind.DIPC: _("Document individuel de prise en charge"),
        DocumentKind.AVENANT: _("Avenant"),
        DocumentKind.ATTESTATION_PRESENCE: _("Attestation de présence"),
        DocumentKind.CERTIFICAT_ADMISSION: _("Certificat d'admission"),
        DocumentKind.COURRIER: _("Courrier"),
        DocumentKind.PROJET_PERSONNALISE: _("Projet personnalisé"),
    }[kind]


class GenerationError(ValueError):
    """A document that cannot be generated from what was given; `message` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Prestation:
    """One service listed in a contract or an avenant, with its forecast cost if known
    (L311-4: the contract lists the services with their forecast cost)."""

    label: str
    price: Decimal | None = None
    unit: str = ""  # "par jour", "par mois"…


@dataclass(frozen=True)
class GeneratedDocument:
    """A rendered document, ready to be stored."""

    kind: DocumentKind
    title: str
    data_category: DataCategory
    act_date: dt.date
    pdf: bytes
    #: The INS datamatrix message printed on the document, "" when it carries none.
    ins_payload: str = ""
    #: The PNG embedded in the PDF for that datamatrix (b"" when none).
    datamatrix_png: bytes = field(default=b"", repr=False)

    @property
    def type_code(self) -> str:
        return str(self.kind)

    @property
    def carries_ins(self) -> bool:
        return bool(self.ins_payload)

    @property
    def filename(self) -> str:
        return f"{self.kind.lower()}-{self.act_date:%Y-%m-%d}.pdf"


# --- shared pieces -----------------------------------------------------------------------


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: loading pango is slow

    return HTML(string=html).write_pdf()


@dataclass(frozen=True)
class _Ins:
    block: InsBlock | None
    payload: str = ""
    png: bytes = b""

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _ins_for(person, category: DataCategory) -> _Ins:
    if category not in HEALTH_CATEGORIES:
        return _Ins(None)
    block = ins_block(person)
    if block is None:
        return _Ins(None)
    return _Ins(block, payload_for(block), datamatrix_png(block))


@dataclass(frozen=True)
class Signatory:
    """Who signs for the person: a label ("Le représentant légal") and a name."""

    label: str
    name: str


def person_signatories(person, on: dt.date) -> list[Signatory]:
    """The person, and their legal representative when a measure with representation
    or minority applies (persons.entourage.who_consents); a represented person whose
    representative is not recorded gets an unnamed block rather than none."""
    from opendui.persons.entourage import who_consents

    signatories = [Signatory(_("La personne accompagnée"), person.display_name)]
    try:
        representative = who_consents(person, on)
    except ValidationError:
        signatories.append(Signatory(_("Le représentant légal"), ""))
    else:
        if representative is not None:
            name = f"{representative.last_name.upper()} {representative.first_name}".strip()
            signatories.append(Signatory(_("Le représentant légal"), name))
    return signatories


def _is_minor(person, on: dt.date) -> bool:
    from opendui.persons.entourage import is_minor

    return is_minor(person, on)


def _context(person, facility, *, kind, category, act_date, director_name, ins, **extra):
    return {
        "kind": kind,
        "title": extra.pop("title", kind_label(kind)),
        "person": person,
        "facility": facility,
        "organisation": facility.organisation,
        "act_date": act_date,
        "director_name": director_name,
        "health": category in HEALTH_CATEGORIES,
        "ins": ins.block,
        "ins_image": ins.data_uri if ins.block else "",
        "identity_status": person.identity_status.label,
        **extra,
    }


def _generate(
    template: str,
    person,
    facility,
    *,
    kind,
    category,
    act_date,
    director_name,
    ins,
    **extra,
) -> GeneratedDocument:
    """Every generated document: the shared frame (`_context`) plus the document's own
    values (`extra`, which may override the frame's, e.g. `title` or `health`), rendered
    to PDF with `template`."""
    context = _context(
        person,
        facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name=director_name,
        ins=ins,
        **extra,
    )
    return _render(template, context, kind=kind, category=category, act_date=act_date, ins=ins)


def _render(template: str, context: dict, *, kind, category, act_date, ins) -> GeneratedDocument:
    html = render_to_string(TEMPLATE_DIR + template, context)
    return GeneratedDocument(
        kind=kind,
        title=str(context["title"]),
        data_category=category,
        act_date=act_date,
        pdf=render_pdf(html),
        ins_payload=ins.payload,
        datamatrix_png=ins.png,
    )


#: Free texts are bounded: a letter or an avenant is a few pages, not a book.
MAX_TEXT = 20_000


def _bounded(*texts: tuple[str, str, int]) -> None:
    for what, value, limit in texts:
        if len(value or "") > limit:
            raise GenerationError(
                f"{what.capitalize()} dépasse {limit} caractères ({len(value)}) : raccourcissez-le."
            )


def _today(value: dt.date | None) -> dt.date:
    return value or timezone.localdate()


# --- contracts ---------------------------------------------------------------------------


def _contract_kind(contract) -> DocumentKind:
    from opendui.stays.rules import CONTRACT

    return DocumentKind.CONTRAT_SEJOUR if contract.kind == CONTRACT else DocumentKind.DIPC


def contract_document(
    contract,
    *,
    prestations: Sequence[Prestation] = (),
    director_name: str = "",
    act_date: dt.date | None = None,
) -> GeneratedDocument:
    """The contrat de séjour or the DIPC of `contract` (a stays.Contract), per its kind,
    with the CASF L311-4 / D311 mentions (and L311-4-1 in an EHPAD), the parties, the
    stay's dates, the services and the signature blocks."""
    from opendui.stays.rules import contract_deadlines

    stay = contract.stay
    person, facility = stay.person, stay.facility
    act_date = _today(act_date or contract.signed_on or contract.handed_on)
    kind = _contract_kind(contract)
    category = DataCategory.ADMINISTRATIVE
    ins = _Ins(None)
    return _generate(
        "contract.html",
        person,
        facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name=director_name,
        ins=ins,
        stay=stay,
        contract=contract,
        deadlines=contract_deadlines(stay.start_date, contract.kind),
        prestations=list(prestations),
        is_ehpad=facility.category_id == EHPAD_CATEGORY,
        is_minor=_is_minor(person, act_date),
        signatories=person_signatories(person, act_date),
    )


def amendment_document(
    contract,
    *,
    changes: str,
    prestations: Sequence[Prestation] = (),
    number: int | None = None,
    effective_on: dt.date | None = None,
    director_name: str = "",
    act_date: dt.date | None = None,
) -> GeneratedDocument:
    """An avenant to `contract`: `changes` (the adapted objectives and services, or any
    other change, free text) drawn up under the same conditions as the contract (D311)."""
    if not (changes or "").strip():
        raise GenerationError("Décrivez l'objet de l'avenant (objectifs, prestations…).")
    _bounded(
        ("l'objet de l'avenant", changes, MAX_TEXT), ("le nom du directeur", director_name, 200)
    )
    stay = contract.stay
    person, facility = stay.person, stay.facility
    act_date = _today(act_date)
    kind = DocumentKind.AVENANT
    category = DataCategory.ADMINISTRATIVE
    ins = _Ins(None)
    parent = _contract_kind(contract)
    title = _("Avenant au %(document)s") % {"document": kind_label(parent).lower()}
    if number:
        title = _("Avenant n° %(number)s au %(document)s") % {
            "number": number,
            "document": kind_label(parent).lower(),
        }
    return _generate(
        "amendment.html",
        person,
        facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name=director_name,
        ins=ins,
        title=title,
        stay=stay,
        contract=contract,
        parent_label=kind_label(parent),
        changes=changes,
        prestations=list(prestations),
        effective_on=effective_on or act_date,
        is_minor=_is_minor(person, act_date),
        signatories=person_signatories(person, act_date),
    )


# --- attestations ------------------------------------------------------------------------


def attendance_certificate(
    stay, *, director_name: str = "", act_date: dt.date | None = None
) -> GeneratedDocument:
    """Attestation de présence: the stay's dates of presence (and its absences) up to
    the act date."""
    act_date = _today(act_date)
    if stay.start_date > act_date:
        raise GenerationError(
            "Le séjour commence après la date de l'attestation : aucune présence à attester."
        )
    kind = DocumentKind.ATTESTATION_PRESENCE
    category = DataCategory.ADMINISTRATIVE
    ins = _Ins(None)
    absences = [a for a in stay.absences.all() if a.start_date <= act_date]
    ended = stay.end_date is not None and stay.end_date <= act_date
    return _generate(
        "attendance.html",
        stay.person,
        stay.facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name=director_name,
        ins=ins,
        stay=stay,
        ended=ended,
        absences=absences,
    )


def admission_certificate(
    stay, *, director_name: str = "", act_date: dt.date | None = None
) -> GeneratedDocument:
    """Certificat d'admission: the person was admitted in the facility on the stay's
    first day (unit and mode when known)."""
    act_date = _today(act_date)
    kind = DocumentKind.CERTIFICAT_ADMISSION
    category = DataCategory.ADMINISTRATIVE
    ins = _Ins(None)
    return _generate(
        "admission.html",
        stay.person,
        stay.facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name=director_name,
        ins=ins,
        stay=stay,
    )


# --- letters -----------------------------------------------------------------------------


def letter_document(
    person,
    facility,
    *,
    recipient_name: str,
    recipient_address: str = "",
    body: str,
    subject: str = "",
    author_name: str = "",
    author_title: str = "",
    data_category: DataCategory | str = DataCategory.ADMINISTRATIVE,
    act_date: dt.date | None = None,
) -> GeneratedDocument:
    """A letter about `person` to an external professional (plain values: the directory
    of professionals is not read here). A letter whose `data_category` is care, medical
    or psychological is a health document: it carries the INS block and the datamatrix
    when the identity is qualified."""
    if not (recipient_name or "").strip():
        raise GenerationError("Indiquez le destinataire du courrier.")
    if not (body or "").strip():
        raise GenerationError("Le courrier est vide : rédigez son texte.")
    _bounded(
        ("le destinataire", recipient_name, 200),
        ("l'adresse du destinataire", recipient_address, 500),
        ("l'objet", subject, 200),
        ("le texte du courrier", body, MAX_TEXT),
        ("le nom du signataire", author_name, 200),
        ("la fonction du signataire", author_title, 200),
    )
    if str(data_category) not in DataCategory._value2member_map_:
        raise GenerationError(f"Catégorie de données inconnue : « {data_category} ».")
    if person.organisation_id != facility.organisation_id:
        raise GenerationError("La personne n'appartient pas à l'organisme de l'établissement.")
    category = DataCategory(str(data_category))
    act_date = _today(act_date)
    kind = DocumentKind.COURRIER
    ins = _ins_for(person, category)
    return _generate(
        "letter.html",
        person,
        facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name="",
        ins=ins,
        title=subject.strip() or kind_label(kind),
        recipient_name=recipient_name.strip(),
        recipient_address=recipient_address.strip(),
        subject=subject.strip(),
        body=body.strip(),
        author_name=author_name.strip(),
        author_title=author_title.strip(),
    )
