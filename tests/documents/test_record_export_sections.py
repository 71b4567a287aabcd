"""The sections of the record export, one per app (persons.sections registry): each
section's values reach dossier.pdf, and each follows the reader's permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.documents.record_export import render_sections, request_export
from opendui.jobs.worker import run_pending
from opendui.persons.sections import RecordReading, export_sections
from tests.core.test_url_walk import (
    _address_of_anne,
    _aggir_of_anne,
    _evaluation_of_anne,
    _event_of_anne,
    _link_of_anne,
    _note_of_anne,
    _pp_goal_of_anne,
    _related_of_anne,
)

from .test_record_export import exported, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_record(world):
    """world.anne with a row in every section, and a medical note."""
    from opendui.accompaniment.models import PersonalisedProject
    from opendui.incidents.models import Incident
    from opendui.notes.models import Note

    _related_of_anne(world)  # Martin Julie, enfant
    _address_of_anne(world)  # 1 rue Haute
    _link_of_anne(world)  # Moreau, médecin traitant
    goal = _pp_goal_of_anne(world)  # Projet d'Anne, goal "Marcher"
    PersonalisedProject.objects.filter(pk=goal["pk"]).update(
        frozen=True,
        validated_on=dt.date(2025, 2, 3),
        validated_at=timezone.now(),
        status="ENCOURS",
    )
    aggir = _aggir_of_anne(world)
    from opendui.evaluations.models import AggirEvaluation

    AggirEvaluation.objects.filter(pk=aggir).update(gir=3)
    _evaluation_of_anne(world)
    _event_of_anne(world)  # Atelier mémoire
    _note_of_anne(world)  # social: Sommeil / Réveillée à 3 h
    Note.objects.create(
        person=world.anne,
        facility=world.ehpad,
        kind="transmission",
        category="medical",
        target="Traitement secret",
        data="Dose modifiée",
        author=world.user("medecin", facility=world.ehpad),
        written_at=timezone.now(),
    )
    incident = Incident.objects.create(
        facility=world.ehpad,
        declared_by=world.user("aide-soignant", facility=world.ehpad),
        declared_at=timezone.now(),
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        place="Salle à manger",
        description="Chute sans gravité",
        severity=Incident._meta.get_field("severity").choices[0][0],
    )
    incident.persons.add(world.anne)
    return world


def test_every_app_registers_its_section():
    assert [e.key for e in export_sections()] == [
        "identity",
        "administrative",
        "professionals",
        "entourage",
        "stays",
        "project",
        "evaluations",
        "agenda",
        "notes",
        "incidents",
    ]


def test_the_pdf_holds_every_section_the_reader_may_read(full_record):
    world = full_record
    chief = world.user("chef-de-service", facility=world.ehpad)  # adm, social, care read
    export, _ = request_export(Actor(user=chief), world.anne, reason="transfer")
    run_pending()
    text = pdf_text(exported(export).read("dossier.pdf"))
    for value in (
        "MARTIN",  # identity
        "1 rue Haute",  # administrative
        "MOREAU",  # professionals
        "Julie",  # entourage
        "EHPAD Les Tilleuls",  # stays
        "Projet d'Anne",  # PP history
        "Marcher",  # PP validated content
        "Grilles AGGIR",  # evaluations (care)
        "Atelier mémoire",  # agenda
        "Réveillée à 3 h",  # notes (social)
        "Chute sans gravité",  # incidents (manager of the facility)
        "Sommaire",
    ):
        assert value in text, value
    assert "Traitement secret" not in text  # medical note: not readable by the chief


def test_sections_follow_the_readers_permissions(full_record):
    world = full_record
    secretary = world.user("accueil", facility=world.ehpad)  # administrative only
    shown = {
        key: section for key, _t, section in render_sections(RecordReading(secretary, world.anne))
    }
    assert {"identity", "administrative", "professionals", "entourage", "stays"} <= set(shown)
    assert not set(shown) & {"project", "evaluations", "incidents"}
    # Notes: the administrative category only, so neither the social nor the medical one.
    assert [row for table in shown["notes"].tables for row in table.rows] == []
    physician = world.user("medecin", facility=world.ehpad)
    sections = dict(
        (key, section) for key, _t, section in render_sections(RecordReading(physician, world.anne))
    )
    notes = [row for table in sections["notes"].tables for row in table.rows]
    assert any("Traitement secret" in row[4] for row in notes)
    assert "incidents" not in sections  # neither declarer nor manager


def test_the_identity_shows_the_ins_only_when_qualified(world):
    from opendui.persons.export import identity_section

    world.anne.ins_matricule = "240057512345678"
    world.anne.ins_oid = "1.2.250.1.213.1.4.8"
    world.anne.save()
    reader = world.user("accueil", facility=world.ehpad)
    labels = [f.label for f in identity_section(RecordReading(reader, world.anne)).facts]
    assert "Matricule INS" not in labels  # identity not qualified
    world.anne.identity_retrieved_from_insi = True
    world.anne.identity_document_checked = True
    world.anne.save()
    facts = {f.label: f.value for f in identity_section(RecordReading(reader, world.anne)).facts}
    assert facts["Matricule INS"] == "240057512345678"
