"""The directory and the Annuaire Santé (simulator on loopback): search page, add,
nightly refresh, Annuaire down."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.directory import annuaire_sync
from opendui.directory.models import ExternalProfessional, Source
from opendui.jobs.tasks import JobError

SEARCH = "/annuaire/annuaire-sante/"
ADD = "/annuaire/annuaire-sante/ajouter/"
MOREAU = "10100001014"
GARNIER = "10100001063"
ANCIEN = "10100001121"  # inactive in the Annuaire
UNKNOWN = "10100001139"  # valid key, not in the Annuaire
NOW = dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


# --- search page ------------------------------------------------------------------------------


def test_search_professionals_by_each_criterion(
    world, login, secretary, annuaire_settings, django_assert_max_num_queries
):
    client = login(secretary)

    def found(**params):
        response = client.get(SEARCH, {"kind": "professionnels", **params})
        assert response.status_code == 200
        return sorted(p.last_name for p in response.context["result"].practitioners)

    assert found(number=MOREAU) == ["MOREAU"]
    assert found(number="379100012") == ["BERNARD"]
    assert found(name="garnier") == ["GARNIER"]
    assert found(profession="21") == ["PETIT"]
    assert found(city="Blois") == ["GARNIER", "MARTIN"]
    assert found(postal_code="37400") == ["PETIT"]
    with django_assert_max_num_queries(12):
        response = client.get(SEARCH, {"kind": "professionnels", "name": "martin"})
    page = text(response)
    assert "Ajouter à l'annuaire de l'organisation" in page
    assert "jacques.martin@medecin.mssante.fr" in page


def test_search_structures_by_finess_and_city(world, login, secretary, annuaire_settings):
    client = login(secretary)
    response = client.get(SEARCH, {"kind": "structures", "number": "370100026"})
    assert [o.name for o in response.context["result"].organisations] == ["Pharmacie de la Loire"]
    response = client.get(SEARCH, {"kind": "structures", "city": "Chinon"})
    assert [o.finess for o in response.context["result"].organisations] == ["370100034"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "professionnels"}, "au moins un critère"),
        ({"kind": "professionnels", "number": "10100001015"}, "clé du numéro RPPS"),
        ({"kind": "professionnels", "number": "123"}, "11 chiffres"),
        ({"kind": "structures", "number": "370100019"}, "clé du numéro FINESS"),
        ({"kind": "professionnels", "postal_code": "37a"}, "code postal"),
        ({"kind": "autre", "name": "x"}, "Sélectionnez un choix valide"),
        ({"kind": "professionnels", "name": "x" * 500}, "100 caractères"),
    ],
)
def test_bad_search_input_is_a_french_message_not_a_500(
    world, login, secretary, annuaire_settings, params, message
):
    response = login(secretary).get(SEARCH, params)
    assert response.status_code == 200
    assert message in text(response)
    assert response.context["result"] is None


def test_annuaire_down_keeps_the_manual_form_offered(world, login, secretary, annuaire_down):
    response = login(secretary).get(SEARCH, {"kind": "professionnels", "name": "martin"})
    assert response.status_code == 200
    page = text(response)
    assert "Annuaire Santé injoignable : saisissez les informations" in page
    assert "/annuaire/professionnels/nouveau/" in page
    # The manual form works and its entries are shown unverified.
    assert login(secretary).get("/annuaire/professionnels/nouveau/").status_code == 200


def test_educator_may_not_search_the_annuaire(world, login, educator, annuaire_settings):
    client = login(educator)
    denied = AuditEvent.objects.filter(action="access.denied").count()
    assert client.get(SEARCH, {"name": "martin"}).status_code == 403
    assert client.post(ADD, {"idnat_ps": "8" + MOREAU}).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").count() == denied + 2
    assert not ExternalProfessional.objects.exists()


# --- add --------------------------------------------------------------------------------------


def test_add_from_the_search_page(world, login, secretary, annuaire_settings):
    client = login(secretary)
    back = f"{SEARCH}?kind=professionnels&name=moreau"
    response = client.post(ADD, {"idnat_ps": "8" + MOREAU, "back": back})
    assert response.status_code == 302
    assert response.url == back
    entry = ExternalProfessional.objects.get(organisation=world.og)
    assert (entry.last_name, entry.first_name, entry.civility) == ("MOREAU", "Philippe", "DR")
    assert (entry.rpps, entry.idnat_ps, entry.profession_code) == (MOREAU, "8" + MOREAU, "10")
    assert entry.mssante_addresses == ["philippe.moreau@medecin.mssante.fr"]
    assert (entry.city, entry.postal_code, entry.phone) == (
        "Chinon",
        "37500",
        "+33247004010",
    )  # stored in E.164 (core.phones)
    assert entry.source == Source.ANNUAIRE
    assert entry.synced_at is not None
    event = AuditEvent.objects.get(action="directory.annuaire_create")
    assert event.user_id == secretary.pk
    # The search page now says it is in the directory; the list shows it verified.
    page = text(client.get(back))
    assert "Déjà dans l'annuaire de l'organisme." in page
    assert "Mettre à jour la fiche" in page
    listing = text(client.get("/annuaire/"))
    assert "(Annuaire Santé, vérifié le" in listing
    # Adding again updates the same entry.
    client.post(ADD, {"idnat_ps": "8" + MOREAU})
    assert ExternalProfessional.objects.count() == 1
    assert AuditEvent.objects.filter(action="directory.annuaire_update").count() == 1


@pytest.mark.parametrize(
    ("idnat", "message"),
    [
        ("8" + UNKNOWN, "introuvable dans l'Annuaire"),
        ("8" + ANCIEN, "inactif dans l'Annuaire"),
        ("8" + MOREAU[:-1] + "5", "clé du numéro RPPS"),
        ("", "idNat_PS) est vide"),
        ("<script>", "idNat_PS"),
    ],
)
def test_add_refuses_what_the_annuaire_does_not_confirm(
    world, login, secretary, annuaire_settings, idnat, message
):
    client = login(secretary)
    response = client.post(ADD, {"idnat_ps": idnat, "back": "https://evil.example/"}, follow=True)
    assert response.redirect_chain[0][0] == SEARCH  # never an outside address
    assert message in text(response)
    assert not ExternalProfessional.objects.exists()


def test_add_when_the_annuaire_is_down(world, login, secretary, annuaire_down):
    response = login(secretary).post(ADD, {"idnat_ps": "8" + MOREAU}, follow=True)
    assert "Annuaire Santé injoignable" in text(response)
    assert not ExternalProfessional.objects.exists()


def test_add_service_checks_the_permission_before_calling_the_annuaire(world, educator):
    with pytest.raises(PermissionDenied):
        annuaire_sync.add_from_annuaire(Actor(user=educator), world.og, "8" + MOREAU, client=None)


def test_add_only_get_is_refused(world, login, secretary, annuaire_settings):
    assert login(secretary).get(ADD).status_code == 405


# --- nightly refresh --------------------------------------------------------------------------


def _from_annuaire(world, rpps: str, **changes) -> ExternalProfessional:
    """An entry as an earlier synchronisation left it, a week ago."""
    from opendui.annuaire.config import client_from_settings

    practitioner = client_from_settings().practitioner_by_idnat("8" + rpps)
    if practitioner is None:  # not in the Annuaire any more: a record built here
        from opendui.directory.services import AnnuairePractitioner

        record = AnnuairePractitioner(
            idnat_ps="8" + rpps, rpps=rpps, last_name="Disparu", profession_code="10"
        )
    else:
        record = annuaire_sync.record_of(practitioner)
    entry, _ = annuaire_sync.upsert_from_annuaire(world.og, record, now=NOW - dt.timedelta(days=7))
    if changes:
        ExternalProfessional.objects.filter(pk=entry.pk).update(**changes)
    return entry


def test_refresh_updates_changed_entries_and_deactivates_removed_ones(world, annuaire_settings):
    from opendui.annuaire.config import client_from_settings

    changed = _from_annuaire(
        world,
        GARNIER,
        last_name="GARNIER-ANCIEN-NOM",
        mssante_addresses=["ancienne@infirmier.mssante.fr"],
        phone="06 00 00 00 00",  # typed in the directory: local data, kept
    )
    inactive = _from_annuaire(world, ANCIEN)
    removed = _from_annuaire(world, UNKNOWN)
    recent = _from_annuaire(world, MOREAU)
    ExternalProfessional.objects.filter(pk=recent.pk).update(synced_at=NOW - dt.timedelta(hours=2))
    manual = ExternalProfessional.objects.create(
        organisation=world.og, last_name="Manuel", profession_label="Psychologue"
    )

    summary = annuaire_sync.refresh_from_annuaire(client_from_settings(), now=NOW)

    assert (summary.checked, summary.updated, summary.gone, summary.invalid) == (3, 1, 2, 0)
    changed.refresh_from_db()
    assert changed.last_name == "GARNIER"
    assert changed.mssante_addresses == [
        "nathalie.garnier@infirmier.mssante.fr",
        "n.garnier@ssiad-blois.mssante.fr",
    ]
    assert changed.phone == "+33600000000"  # the local phone kept (stored in E.164)
    assert changed.synced_at == NOW
    assert changed.active
    for entry in (inactive, removed):
        entry.refresh_from_db()
        assert not entry.active
        assert entry.deactivated_on == dt.date(2026, 3, 2)
        assert "Introuvable ou inactif dans l'Annuaire Santé" in entry.deactivation_reason
        assert entry.synced_at == NOW
    recent.refresh_from_db()
    assert recent.synced_at == NOW - dt.timedelta(hours=2)  # checked recently: left alone
    manual.refresh_from_db()
    assert manual.active and manual.synced_at is None
    gone = AuditEvent.objects.filter(action="directory.annuaire_gone")
    assert gone.count() == 2
    assert {(e.user_id, e.user_label) for e in gone} == {(None, "annuaire.sync")}
    assert ExternalProfessional.objects.count() == 5  # nothing deleted


def test_refresh_job_is_retried_when_the_annuaire_is_down(world, annuaire_settings, settings):
    from opendui.directory.tasks import AnnuaireUnavailable, refresh_annuaire_entries

    entry = _from_annuaire(world, GARNIER)
    before = entry.synced_at
    settings.ANNUAIRE_URL = "http://127.0.0.1:9/fhir/v2"
    settings.ANNUAIRE_TIMEOUT = 1
    with pytest.raises(AnnuaireUnavailable) as caught:
        refresh_annuaire_entries.call()
    assert isinstance(caught.value, JobError)
    assert "injoignable" in caught.value.public_message
    assert AnnuaireUnavailable in refresh_annuaire_entries.retry_on
    entry.refresh_from_db()
    assert entry.synced_at == before and entry.active


def test_refresh_job_without_annuaire_does_nothing(world, settings):
    from opendui.directory.tasks import refresh_annuaire_entries

    settings.ANNUAIRE_URL = ""
    assert refresh_annuaire_entries.call() == {"skipped": "not configured"}


def test_refresh_job_is_scheduled_nightly():
    from opendui.jobs.schedule import SCHEDULE

    entry = next(e for e in SCHEDULE if e.name == "directory.annuaire_refresh")
    assert entry.task_path == "opendui.directory.tasks.refresh_annuaire_entries"
    assert entry.at == dt.time(2, 30)


def test_invalid_record_is_kept_as_it_is(world, annuaire_settings, monkeypatch):
    from opendui.annuaire.config import client_from_settings

    entry = _from_annuaire(world, GARNIER)

    def broken(record, *a, **k):
        raise ValidationError("bad")

    monkeypatch.setattr(annuaire_sync, "upsert_from_annuaire", broken)
    summary = annuaire_sync.refresh_from_annuaire(client_from_settings(), now=NOW)
    assert (summary.checked, summary.invalid) == (1, 1)
    entry.refresh_from_db()
    assert entry.active


# --- structures -------------------------------------------------------------------------------

ADD_STRUCTURE = "/annuaire/annuaire-sante/ajouter-structure/"


def test_add_a_structure_from_the_search_page(world, login, secretary, annuaire_settings):
    from opendui.directory.models import ExternalStructure

    client = login(secretary)
    back = f"{SEARCH}?kind=structures&city=Tours"
    page = text(client.get(back))
    assert "Ajouter à l'annuaire de l'organisation" in page
    response = client.post(ADD_STRUCTURE, {"finess": "370000101", "back": back})
    assert (response.status_code, response.url) == (302, back)
    structure = ExternalStructure.objects.get(organisation=world.og)
    assert (structure.name, structure.kind, structure.finess) == (
        "Centre hospitalier fictif de Tours",
        "service_hospitalier",
        "370000101",
    )
    assert (structure.city, structure.postal_code, structure.phone) == (
        "Tours",
        "37000",
        "+33247003003",
    )
    assert structure.mssante_address == "geriatrie@ch-fictif-tours.mssante.fr"
    assert structure.source == Source.ANNUAIRE and structure.synced_at is not None
    event = AuditEvent.objects.get(action="directory.annuaire_structure_create")
    assert event.user_id == secretary.pk
    assert "Déjà dans l'annuaire de l'organisme." in text(client.get(back))
    # Twice: refused with a French message, nothing added.
    again = client.post(ADD_STRUCTURE, {"finess": "370000101"}, follow=True)
    assert "déjà dans l'annuaire" in text(again)
    assert ExternalStructure.objects.count() == 1


@pytest.mark.parametrize(
    ("finess", "message"),
    [
        ("370100019", "clé du numéro FINESS"),
        ("370100042", "introuvable dans l'Annuaire"),
        ("", "9 caractères"),
    ],
)
def test_add_structure_refuses_what_the_annuaire_does_not_confirm(
    world, login, secretary, annuaire_settings, finess, message
):
    from opendui.directory.models import ExternalStructure

    response = login(secretary).post(ADD_STRUCTURE, {"finess": finess}, follow=True)
    assert message in text(response)
    assert not ExternalStructure.objects.exists()


def test_educator_may_not_add_a_structure(world, login, educator, annuaire_settings):
    assert login(educator).post(ADD_STRUCTURE, {"finess": "370000101"}).status_code == 403


def test_kind_of_a_structure_follows_its_finess_category():
    from opendui.annuaire.parsing import Organisation

    assert annuaire_sync.kind_of(Organisation("x", "P", kind_code="620")) == "pharmacie"
    assert annuaire_sync.kind_of(Organisation("x", "S", kind_code="354")) == "ssiad"
    assert annuaire_sync.kind_of(Organisation("x", "C", kind_code="")) == "autre"
