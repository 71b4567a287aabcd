"""PDF of a validated PP version, to hand to the person (and later to send to the DMP).

A validated version is stored as a document of the person by the document store
(documents.project_pdf, through `hooks.on_version_validated`); the rendering here is the
fallback of the « PDF » link for a version whose document is not stored (validated
before that, or its job not run yet). Rendered synchronously with WeasyPrint: one PP is
a few pages. The identity follows the
INS rules: the INS matricule appears only when the identity is qualified
(`Person.transmittable_ins`), otherwise the traits only.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from .models import Action, PersonalisedProject


def project_context(project: PersonalisedProject) -> dict[str, Any]:
    """What `accompaniment/_pp_content.html` shows of a version: its sections. Shared
    with the stored document (documents.generation.project), which frames it with the
    facility's header and the INS block."""
    from django.db.models import Prefetch

    goals = project.goals.select_related("referent").prefetch_related(
        Prefetch("actions", queryset=Action.objects.select_related("referent"))
    )
    return {
        "project": project,
        "person": project.person,
        "expectations": project.expectations.all(),
        "needs": project.needs.all(),
        "goals": goals,
        "services": project.services.select_related("goal"),
        "agreements": project.agreements.select_related("representative", "professional"),
        "reviews": project.reviews.all(),
    }


def project_html(project: PersonalisedProject) -> str:
    """The on-the-fly PDF's HTML, for a version validated before PDFs were stored."""
    context = project_context(project) | {"ins": project.person.transmittable_ins}
    return render_to_string("accompaniment/pdf.html", context)


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: loading pango is slow

    return HTML(string=html).write_pdf()


def project_pdf(project: PersonalisedProject) -> bytes:
    return render_pdf(project_html(project))
