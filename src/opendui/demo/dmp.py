"""The demo's DMP history, produced by the real client: no DMP row is seeded.

`seed_dmp(organisation)` prepares what a real facility would have, then leaves the rest to
the application:

- a few current residents of the demo nurse's facility (`DMP_PERSONS`) get a *qualified*
  identity (the demo has no INSi history: the INS are synthetic, under the INS-NIR **test**
  OID, with a valid key and a birthplace in Tours), one of them with the order number 990
  that the DMP simulator answers "no DMP" (a refusal to show on the failures list);
- their latest validated PP is marked as validated by the demo director, who gets an
  RPPS+ number (the DMP needs to know who files; `pp.validate` is hers);
- the storing of each PP's PDF is **enqueued** (documents.project_pdf, as a validation
  does). The demo worker renders the PDF; the store's hook shares it to the DMP
  (interop.dmp.services) and enqueues the send; the worker sends it to the DMP simulator
  that `opendui demo` started. So the DMP statuses, the failures list and the dashboard's
  DMP figure come from real (simulated) sends.

Fast: a handful of updates and job rows; the work happens in the worker.
"""

from __future__ import annotations

from opendui.accompaniment.models import PersonalisedProject
from opendui.accounts.models import User
from opendui.core.actor import Actor
from opendui.core.identifiers import luhn_check_digit
from opendui.organisations.models import ManagingOrganisation
from opendui.persons.models import Person

#: Residents whose PP goes to the DMP in the demo.
DMP_PERSONS = 6
#: The last of them has no DMP (simulator rule: order number 990).
NO_DMP_ORDER = "990"
#: The demo director's RPPS+ number (fictitious, 10999… like the other test cards).
DIRECTOR_RPPS_PLUS = "1099900007" + luhn_check_digit("1099900007")
INS_TEST_OID = "1.2.250.1.213.1.4.10"
BIRTH_PLACE = "37261"  # Tours


def demo_ins(sex: str, birth_year: int, birth_month: int, order: str) -> str:
    """A synthetic NIR-shaped INS (born in Tours) with its key: 97 - (13 digits mod 97)."""
    body = (
        f"{'1' if sex == 'M' else '2'}{birth_year % 100:02d}{birth_month:02d}{BIRTH_PLACE}{order}"
    )
    return body + f"{97 - int(body) % 97:02d}"


def seed_dmp(organisation: ManagingOrganisation, count: int = DMP_PERSONS) -> int:
    """Qualify `count` residents' identities and enqueue their PP's storing (hence its
    sending to the DMP by the worker). Returns the number of PPs queued."""
    from opendui.documents.project_pdf import queue_project_pdf

    from .seed import DEMO_DOMAIN

    nurse = User.objects.filter(email=f"infirmier@{DEMO_DOMAIN}").first()
    director = User.objects.filter(email=f"directeur@{DEMO_DOMAIN}").first()
    if nurse is None or director is None:
        return 0
    assignment = nurse.assignments.filter(facility__organisation=organisation).first()
    if assignment is None or assignment.facility_id is None:
        return 0
    director.rpps_plus = DIRECTOR_RPPS_PLUS
    director.save(update_fields=["rpps_plus"])
    projects = (
        PersonalisedProject.objects.filter(
            stay__facility_id=assignment.facility_id,
            stay__end_date__isnull=True,
            validated_at__isnull=False,
            frozen=True,
        )
        .select_related("person")
        .order_by("person_id", "-number")
    )
    chosen: list[PersonalisedProject] = []
    seen: set[int] = set()
    for project in projects.iterator(chunk_size=200):
        if project.person_id in seen:
            continue
        seen.add(project.person_id)
        chosen.append(project)
        if len(chosen) == count:
            break
    actor = Actor.system("opendui seed")
    for index, project in enumerate(chosen):
        person = project.person
        order = NO_DMP_ORDER if index == len(chosen) - 1 and count > 1 else f"{401 + index:03d}"
        Person.objects.filter(pk=person.pk).update(
            ins_matricule=demo_ins(
                person.sex, person.birth_date.year, person.birth_date.month, order
            ),
            ins_oid=INS_TEST_OID,
            birth_place_code=BIRTH_PLACE,
            birth_first_names=person.birth_first_names or person.first_name,
            identity_retrieved_from_insi=True,
            identity_document_checked=True,
            identity_document_type="CN",
        )
        PersonalisedProject.objects.filter(pk=project.pk).update(validated_by=director)
        queue_project_pdf(actor, project)
    return len(chosen)


def residents_with_a_dmp() -> list[str]:
    """French lines naming the demo residents whose PP goes to the DMP (for `opendui demo`)."""
    rows = Person.objects.filter(ins_oid=INS_TEST_OID).order_by("pk")[:DMP_PERSONS]
    return [
        f"{person.display_name} ({person.local_id})"
        + (
            " – pas de DMP : refus visible dans « Envois au DMP »"
            if person.ins_matricule[10:13] == NO_DMP_ORDER
            else ""
        )
        for person in rows
    ]
