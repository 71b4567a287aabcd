"""The projet personnalisé (PP) of a validated version, as a generated document.

Its content is accompaniment's (`accompaniment.pdf.project_context` and the template
`accompaniment/_pp_content.html`, shared with the on-the-fly PDF), framed like every other
generated document: the facility's header, the identity traits and the INS block.

Data category: social, as the PP itself is classified (accompaniment reads it under
"person.view_social"; the local type PROJET-PERSO says the same), so the document is
read and written under the same right as the PP pages.

INS: the PP carries the INS block and the INS datamatrix when the identity is qualified,
although social is not one of the health categories that decide it for a letter. Why:
the PP of an EHPAD or of a medico-social service holds the person's needs, care goals and
services (SERAFIN-PH "soins" families included) and is the document shared to the DMP as
the "projet personnalisé" of the medico-social record; a document that goes to the DMP is
a health document for the INS rules (services_socles.md §1.1 item 4), and printing the
INS on it lets a partner integrate the paper copy by scanning the datamatrix. An
unqualified identity gets no matricule and no datamatrix, and the document says so.
"""

from __future__ import annotations

import datetime as dt

from opendui.accounts.permissions import DataCategory

from .datamatrix import datamatrix_png, payload_for
from .ins import ins_block
from .templates import DocumentKind, GeneratedDocument, GenerationError, _generate, _Ins

#: The PP is social data (accompaniment.services: "person.view_social").
PROJECT_CATEGORY = DataCategory.SOCIAL


def _project_ins(person) -> _Ins:
    """The INS of a PP: always printed when the identity is qualified (see the module)."""
    block = ins_block(person)
    if block is None:
        return _Ins(None)
    return _Ins(block, payload_for(block), datamatrix_png(block))


def project_document(project, *, act_date: dt.date | None = None) -> GeneratedDocument:
    """The PDF of a validated PP version (an accompaniment.PersonalisedProject), dated
    the day it was validated unless `act_date` says otherwise. GenerationError (French)
    for a draft: only a validated, frozen version is a document."""
    from opendui.accompaniment.pdf import project_context

    if not project.frozen or project.validated_on is None:
        raise GenerationError("Seule une version validée du projet personnalisé s'imprime.")
    person, facility = project.person, project.stay.facility
    act_date = act_date or project.validated_on
    kind = DocumentKind.PROJET_PERSONNALISE
    category = PROJECT_CATEGORY
    ins = _project_ins(person)
    # The identity include shows the INS block for a "health" document: this one is.
    return _generate(
        "project.html",
        person,
        facility,
        kind=kind,
        category=category,
        act_date=act_date,
        director_name="",
        ins=ins,
        title=project.title,
        **{k: v for k, v in project_context(project).items() if k != "person"},
        health=True,
    )
