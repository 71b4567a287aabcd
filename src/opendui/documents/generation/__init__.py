"""Documents generated from templates (contract, DIPC, avenant, attestations, letters),
with the INS block and the INS datamatrix on health documents.

The one entry point for a page: `generate(kind, **objects)`, e.g. behind a
"Générer le contrat" button::

    from opendui.documents.generation import generate

    document = generate("CONTRAT-SEJOUR", contract=contract, director_name="M. Durand")
    # document.pdf, document.title, document.type_code, document.data_category,
    # document.act_date: what documents.services.store_document(...) stores.

The caller has already checked the permission on the person and the facility (and
looked the objects up within them); this package reads only the objects it is given.
"""

from __future__ import annotations

from .project import project_document
from .templates import (
    DocumentKind,
    GeneratedDocument,
    GenerationError,
    Prestation,
    admission_certificate,
    amendment_document,
    attendance_certificate,
    contract_document,
    letter_document,
)

__all__ = [
    "DocumentKind",
    "GeneratedDocument",
    "GenerationError",
    "Prestation",
    "generate",
]

# kind -> (function, the object passed first, the other arguments it accepts)
_OPTIONAL = {"director_name", "act_date"}
_DISPATCH = {
    DocumentKind.CONTRAT_SEJOUR: (contract_document, ("contract",), {"prestations"}),
    DocumentKind.DIPC: (contract_document, ("contract",), {"prestations"}),
    DocumentKind.AVENANT: (
        amendment_document,
        ("contract",),
        {"changes", "prestations", "number", "effective_on"},
    ),
    DocumentKind.ATTESTATION_PRESENCE: (attendance_certificate, ("stay",), set()),
    DocumentKind.CERTIFICAT_ADMISSION: (admission_certificate, ("stay",), set()),
    DocumentKind.COURRIER: (
        letter_document,
        ("person", "facility"),
        {
            "recipient_name",
            "recipient_address",
            "body",
            "subject",
            "author_name",
            "author_title",
            "data_category",
        },
    ),
    DocumentKind.PROJET_PERSONNALISE: (project_document, ("project",), set()),
}
_MODELS = {
    "contract": ("stays", "Contract"),
    "stay": ("stays", "Stay"),
    "person": ("persons", "Person"),
    "facility": ("organisations", "Facility"),
    "project": ("accompaniment", "PersonalisedProject"),
}


def generate(kind: DocumentKind | str, **objects) -> GeneratedDocument:
    """Render the document `kind` (a DocumentKind code) from the objects it needs.

    - CONTRAT-SEJOUR, DIPC: ``contract`` (stays.Contract, of the matching kind),
      optional ``prestations`` (a list of Prestation), ``director_name``, ``act_date``;
    - AVENANT: ``contract``, ``changes`` (text), optional ``prestations``, ``number``,
      ``effective_on``, ``director_name``, ``act_date``;
    - ATTEST-PRESENCE, CERTIF-ADMISSION: ``stay`` (stays.Stay), optional
      ``director_name``, ``act_date``;
    - COURRIER: ``person``, ``facility``, ``recipient_name``, ``body``, optional
      ``recipient_address``, ``subject``, ``author_name``, ``author_title``,
      ``data_category`` (a health category puts the INS on a qualified identity),
      ``act_date``;
    - PROJET-PERSO: ``project`` (a validated accompaniment.PersonalisedProject),
      optional ``act_date`` (the validation date by default).

    Raises GenerationError (a French message for the page) on an unknown kind, a missing
    or unexpected argument or an object of the wrong type; IncompleteInsError or
    PayloadError (French) when a qualified identity cannot be printed with its INS.
    """
    from django.apps import apps

    try:
        kind = DocumentKind(str(kind))
    except ValueError:
        raise GenerationError(f"Type de document inconnu : « {kind} ».") from None
    function, positional, accepted = _DISPATCH[kind]
    missing = [name for name in positional if objects.get(name) is None]
    if missing:
        raise GenerationError(f"Il manque : {', '.join(missing)}.")
    unexpected = set(objects) - set(positional) - accepted - _OPTIONAL
    if kind in (DocumentKind.COURRIER, DocumentKind.PROJET_PERSONNALISE) and (
        "director_name" in objects
    ):
        unexpected.add("director_name")
    if unexpected:
        raise GenerationError(
            f"Argument(s) inattendu(s) pour {kind} : {', '.join(sorted(unexpected))}."
        )
    for name in positional:
        model = apps.get_model(*_MODELS[name])
        if not isinstance(objects[name], model):
            raise GenerationError(f"« {name} » n'est pas un objet {model._meta.verbose_name}.")
    if kind in (DocumentKind.CONTRAT_SEJOUR, DocumentKind.DIPC):
        from opendui.stays.rules import CONTRACT

        is_contract = objects["contract"].kind == CONTRACT
        if is_contract != (kind is DocumentKind.CONTRAT_SEJOUR):
            raise GenerationError(
                "Le type demandé ne correspond pas au document du séjour "
                f"(« {objects['contract'].get_kind_display()} »)."
            )
    args = [objects.pop(name) for name in positional]
    return function(*args, **objects)
