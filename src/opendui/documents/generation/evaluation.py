"""The AGGIR grid of a validated evaluation, as a generated document.

What it shows: the ten discriminant variables (their letter A/B/C, from the adverbs the
evaluator ticked, sub-variable by sub-variable), the seven illustrative ones (their letter,
or "non renseignée": they are optional and never enter the GIR), the coding, the GIR and its
rang, the evaluator, the evaluation date, and who validated it and when.

Type: the national JDV_J07 code 34842-5 "Grille d'évaluation médico-social" (LOINC), the
one code of the value set for a medico-social evaluation grid, so the DMP receives it under
its own type rather than a local equivalent. Data category: care, as the evaluations app
classifies the grid (its services write under "person.edit_care"): a health category, so
the document carries the INS block and datamatrix on a qualified identity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from opendui.accounts.permissions import DataCategory

from .templates import GenerationError, _ins_for, render_pdf

#: JDV_J07 (system J07 of the store): "Grille d'évaluation médico-social", LOINC.
AGGIR_TYPE_SYSTEM = "J07"
AGGIR_TYPE_CODE = "34842-5"
AGGIR_CATEGORY = DataCategory.CARE
TEMPLATE = "documents/generation/aggir.html"


@dataclass(frozen=True)
class GeneratedGrid:
    """A rendered AGGIR grid, ready to be stored (same fields as GeneratedDocument, with
    a national type instead of a local kind)."""

    title: str
    act_date: dt.date
    pdf: bytes = field(repr=False)
    ins_payload: str = ""
    data_category: DataCategory = AGGIR_CATEGORY
    type_system: str = AGGIR_TYPE_SYSTEM
    type_code: str = AGGIR_TYPE_CODE

    @property
    def filename(self) -> str:
        return f"grille-aggir-{self.act_date:%Y-%m-%d}.pdf"


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    letter: str
    detail: str = ""


def grid_rows(evaluation) -> tuple[list[Row], list[Row]]:
    """(discriminant rows, illustrative rows) of an evaluation, in the grid's order."""
    from opendui.evaluations.aggir import (
        DISCRIMINANT_VARIABLES,
        ILLUSTRATIVE_VARIABLES,
        letter_from_adverbs,
    )
    from opendui.evaluations.rules import sub_variable_names, variable_letters

    def letter(answer: str) -> str:
        return letter_from_adverbs(
            spontaneously="S" in answer,
            totally="T" in answer,
            correctly="C" in answer,
            habitually="H" in answer,
        )

    letters = variable_letters(evaluation.adverbs or {})
    discriminant = []
    for variable in DISCRIMINANT_VARIABLES:
        answers = (evaluation.adverbs or {}).get(variable.code, {})
        details = [
            f"{name} : {letter(answers[name])}"
            for name in sub_variable_names(variable)
            if variable.sub_variables and name in answers
        ]
        discriminant.append(
            Row(variable.code, variable.label, letters[variable.code] or "–", " ; ".join(details))
        )
    illustrative = [
        Row(v.code, v.label, (evaluation.illustrative or {}).get(v.code, ""))
        for v in ILLUSTRATIVE_VARIABLES
    ]
    return discriminant, illustrative


def aggir_document(evaluation) -> GeneratedGrid:
    """The PDF of a validated AGGIR grid (an evaluations.AggirEvaluation), dated the day it
    was validated. GenerationError (French) for a grid that is not validated."""
    from opendui.evaluations.rules import Status

    if evaluation.status != Status.VALIDATED or evaluation.validated_on is None:
        raise GenerationError("Seule une grille AGGIR validée devient un document.")
    if evaluation.gir is None:
        raise GenerationError("La grille AGGIR validée n'a pas de GIR calculé.")
    person, facility = evaluation.person, evaluation.stay.facility
    act_date = evaluation.validated_on
    ins = _ins_for(person, AGGIR_CATEGORY)
    discriminant, illustrative = grid_rows(evaluation)
    title = f"Grille AGGIR du {evaluation.evaluated_on:%d/%m/%Y} – GIR {evaluation.gir}"
    context = {
        "title": title,
        "person": person,
        "facility": facility,
        "organisation": facility.organisation,
        "act_date": act_date,
        "health": True,  # care data: the identity include shows the INS block
        "ins": ins.block,
        "ins_image": ins.data_uri if ins.block else "",
        "identity_status": person.identity_status.label,
        "evaluation": evaluation,
        "discriminant": discriminant,
        "illustrative": illustrative,
    }
    from django.template.loader import render_to_string

    return GeneratedGrid(
        title=title,
        act_date=act_date,
        pdf=render_pdf(render_to_string(TEMPLATE, context)),
        ins_payload=ins.payload,
    )
