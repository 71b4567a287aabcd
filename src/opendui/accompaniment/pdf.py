"""PDF of a validated PP version, to hand to the person (and later to send to the DMP).

Rendered synchronously with WeasyPrint: one PP is a few pages. The identity follows the
INS rules: the INS matricule appears only when the identity is qualified
(`Person.transmittable_ins`), otherwise the traits only.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import Action, PersonalisedProject


def project_html(project: PersonalisedProject) -> str:
    from django.db.models import Prefetch

    goals = project.goals.select_related("referent").prefetch_related(
        Prefetch("actions", queryset=Action.objects.select_related("referent"))
    )
    return render_to_string(
        "accompaniment/pdf.html",
        {
            "project": project,
            "person": project.person,
            "ins": project.person.transmittable_ins,
            "expectations": project.expectations.all(),
            "needs": project.needs.all(),
            "goals": goals,
            "services": project.services.select_related("goal"),
            "agreements": project.agreements.select_related("representative", "professional"),
            "reviews": project.reviews.all(),
        },
    )


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: loading pango is slow

    return HTML(string=html).write_pdf()


def project_pdf(project: PersonalisedProject) -> bytes:
    return render_pdf(project_html(project))
