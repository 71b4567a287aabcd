"""Demo ESMS Numérique project: the demo OG's facilities plus partner ESSMS typed in by
FINESS, so that the grappe reaches the mainland minimum (15) and is eligible; rule set
2022, acquisition of OpenDUI, milestones partly done (one late). OpenDUI is not
Ségur-referenced, so the demo says "non référencée" (a 2022 acquisition through the SAD,
eligible at the lower software rate): the demo claims nothing the software does not have.

Written directly, like the rest of the demo seed: the seeder records one system audit
event for the whole demo, not one per row.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.accounts.models import User
from opendui.core.identifiers import luhn_check_digit
from opendui.organisations.models import Couloir, Facility, ManagingOrganisation

from . import milestones
from .eligibility import Declaration, GrappeType, SegurStatus
from .funding import MINIMUM_ESSMS, RuleSet, Territory
from .models import Grappe, GrappeDeclaration, GrappeMember, Milestone

DIRECTOR_EMAILS = ("direction@demo.opendui.fr", "admin@demo.opendui.fr")

# Partner OGs: (FINESS juridique body, small OG, [(name, couloir)]).
PARTNERS = [
    (
        "41090900",
        True,
        [
            ("EHPAD Le Clos Fleuri", Couloir.PA),
            ("SSIAD du Blésois", Couloir.DOM),
            ("Résidence autonomie Les Charmilles", Couloir.PA),
            ("EHPAD Saint-Martin", Couloir.PA),
            ("SAAD Loir-et-Cher Services", Couloir.DOM),
        ],
    ),
    (
        "37090900",
        False,
        [
            ("IME Les Peupliers", Couloir.PH),
            ("ESAT Les Ateliers du Cher", Couloir.PH),
            ("MAS La Source", Couloir.PH),
            ("FAM Les Tournesols", Couloir.PH),
            ("SESSAD Touraine", Couloir.PH),
            ("MECS Le Petit Prince", Couloir.PDE),
            ("CHRS L'Escale", Couloir.AHI),
            ("Service mandataire judiciaire de Touraine", Couloir.PJM),
            ("EAM Les Hirondelles", Couloir.PH),
            ("SAMSAH Touraine", Couloir.PH),
        ],
    ),
]

# (milestone, days from today planned, days from today done or None)
SCHEDULE = [
    (milestones.Kind.CANDIDATURE, -330, -330),
    (milestones.Kind.CONVENTION, -270, -262),
    (milestones.Kind.EDITOR_CONTRACT, -240, -235),
    (milestones.Kind.CONFIGURATION, -200, -190),
    (milestones.Kind.VA, -20, None),  # late: the attestation page is there to prepare it
    (milestones.Kind.VSR, 210, None),
    (milestones.Kind.TARGETS, 300, None),
    (milestones.Kind.SECOND_PAYMENT, 330, None),
]


def _finess(body: str) -> str:
    return body + luhn_check_digit(body)


def seed_programme(organisation: ManagingOrganisation, today: dt.date) -> int:
    """Create the demo grappe; returns the number of rows created."""
    facilities = list(
        Facility.objects.filter(organisation=organisation, is_active=True).order_by("pk")
    )
    grappe = Grappe.objects.create(
        organisation=organisation,
        name="Grappe DUI Touraine – Val de Loire",
        project_type=GrappeType.ACQUISITION.value,
        solution_name="OpenDUI",
        segur_status=SegurStatus.NOT_REFERENCED.value,  # OpenDUI is not referenced
        rule_set=RuleSet.Y2022.value,
        territory=Territory.MAINLAND.value,
        carrier_siret=organisation.siret,
        editor_contract_on=today + dt.timedelta(days=-235),
        duration_months=18,
    )
    members = [GrappeMember(grappe=grappe, facility=f, finess_et=f.finess_et) for f in facilities]
    missing = max(0, MINIMUM_ESSMS[Territory.MAINLAND] - len(members))
    number = 0
    for finess_ej, small, essms in PARTNERS:
        for name, couloir in essms:
            if number == missing:
                break
            number += 1
            members.append(
                GrappeMember(
                    grappe=grappe,
                    finess_et=_finess(f"{finess_ej[:2]}09{number:04d}"),
                    name=name,
                    couloir=couloir.value,
                    finess_ej=_finess(finess_ej),
                    partner_small_og=small,
                )
            )
    GrappeMember.objects.bulk_create(members)
    director = User.objects.filter(email__in=DIRECTOR_EMAILS).order_by("email").last()
    declared_at = timezone.now() - dt.timedelta(days=330)
    GrappeDeclaration.objects.bulk_create(
        GrappeDeclaration(
            grappe=grappe, code=d.value, value=True, declared_by=director, declared_at=declared_at
        )
        for d in Declaration
    )
    Milestone.objects.bulk_create(
        Milestone(
            grappe=grappe,
            kind=kind.value,
            planned_on=today + dt.timedelta(days=planned),
            done_on=None if done is None else today + dt.timedelta(days=done),
        )
        for kind, planned, done in SCHEDULE
    )
    return 1 + len(members) + len(Declaration) + len(SCHEDULE)
