"""The demo's directory, administrative files and documents (directory/demo_data.py,
administrative/demo_data.py, documents/demo_data.py): written through the services."""

from __future__ import annotations

import datetime as dt

from opendui.administrative.models import Address, Coverage, Phone, Right
from opendui.administrative.rules import ALERT_DAYS
from opendui.audit.models import AuditEvent
from opendui.core.identifiers import finess_problem, mssante_address_problem, rpps_problem
from opendui.directory.models import (
    ExternalProfessional,
    ExternalStructure,
    LinkRole,
    PersonProfessional,
)
from opendui.documents import store
from opendui.documents.models import Document
from opendui.stays.models import Stay

from .conftest import REFERENCE_DATE


def current_person_ids() -> set[int]:
    return set(
        Stay.objects.filter(start_date__lte=REFERENCE_DATE, end_date__isnull=True).values_list(
            "person_id", flat=True
        )
    )


def test_directory_has_valid_professionals_linked_as_medecin_traitant(seeded):
    professionals = list(ExternalProfessional.objects.all())
    assert len(professionals) == 10
    for professional in professionals:
        assert rpps_problem(professional.rpps) is None, professional
        assert professional.idnat_ps == "8" + professional.rpps
        for address in professional.mssante_addresses:
            assert mssante_address_problem(address) is None
            assert address.endswith("@opendui-demo.mssante.fr")
    structures = {s.kind: s for s in ExternalStructure.objects.all()}
    assert set(structures) == {"pharmacie", "service_hospitalier"}
    assert all(finess_problem(s.finess) is None for s in structures.values())
    gps = PersonProfessional.objects.filter(role=LinkRole.MEDECIN_TRAITANT, end_date__isnull=True)
    linked = set(gps.values_list("person_id", flat=True))
    current = current_person_ids()
    assert linked <= current and len(linked) > len(current) / 2  # most persons
    assert all(link.professional.profession_code == "10" for link in gps)
    # Through the services: each link is audited, on the person, by a demo professional.
    events = AuditEvent.objects.filter(action="directory.link_add")
    assert events.count() == PersonProfessional.objects.count()
    assert not events.filter(user_id__isnull=True).exists()


def test_administrative_files_have_contacts_coverage_and_rights_to_renew(seeded):
    current = current_person_ids()
    addressed = set(Address.objects.values_list("person_id", flat=True))
    assert addressed == current
    assert Coverage.objects.filter(regime="01").count() == len(current)
    # ARCEP's fiction range 06 39 98 (E.164 with the country code of the person's territory).
    assert all(p.number[-9:-4] == "63998" for p in Phone.objects.all())
    assert Phone.objects.count() > len(current) / 3
    soon = Right.objects.filter(
        end_date__gte=REFERENCE_DATE, end_date__lte=REFERENCE_DATE + dt.timedelta(ALERT_DAYS)
    )
    assert soon.exists()
    assert set(Right.objects.values_list("kind", flat=True)) >= {"apa_etablissement", "aah"}
    assert AuditEvent.objects.filter(action="administrative.right.add").count() == (
        Right.objects.count()
    )


def test_a_right_ending_soon_shows_in_the_banner_alert(seeded):
    from opendui.accounts.models import User
    from opendui.administrative.record import rights_banner
    from opendui.persons.sections import RecordReading

    right = (
        Right.objects.filter(
            end_date__gte=REFERENCE_DATE,
            end_date__lte=REFERENCE_DATE + dt.timedelta(ALERT_DAYS),
        )
        .select_related("person")
        .first()
    )
    added = AuditEvent.objects.get(action="administrative.right.add", object_id=str(right.pk))
    reader = User.objects.get(pk=added.user_id)  # the secretary who typed it
    noon = dt.datetime.combine(REFERENCE_DATE, dt.time(12), tzinfo=dt.UTC)
    banner = rights_banner(RecordReading(reader, right.person, noon))
    assert banner is not None
    assert any("à renouveler" in alert for alert in banner.alerts)


def test_a_few_persons_have_stored_documents_whose_files_exist(seeded):
    documents = list(Document.objects.select_related("current"))
    by_type = {}
    for document in documents:
        by_type.setdefault(document.type_code, []).append(document)
    counts = {code: len(rows) for code, rows in by_type.items()}
    assert counts.pop("ATTEST-PRESENCE") == counts.pop("NOTIF-MDPH") == 4
    # The contract of a stay, or the DIPC of a service at home.
    assert set(counts) <= {"CONTRAT-SEJOUR", "DIPC"} and sum(counts.values()) == 4
    for document in documents:
        data = store.read(document.current.stored_name)
        assert data.startswith(b"%PDF") and len(data) == document.current.size
    notice = by_type["NOTIF-MDPH"][0]
    assert notice.title == "Notification MDPH (exemple de démonstration)"
    assert notice.author_kind == "external" and notice.data_category == "administrative"
    assert AuditEvent.objects.filter(action="document.create").count() == len(documents)
