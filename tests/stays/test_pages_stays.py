"""A person's stays page: display, contract deadlines, absences, discharge, transfer."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.stays.models import Absence, Contract, Stay

D = dt.date


def url(person) -> str:
    return f"/sejours/personne/{person.pk}/"


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def stay(world):
    return world.anne.stays.get()  # EHPAD, since 01/01/2024


def test_page_shows_stays_deadlines_and_is_audited(world, login, secretary, stay):
    Contract.objects.create(stay=stay, handed_on=D(2024, 1, 10))
    response = login(secretary).get(url(world.anne))
    assert response.status_code == 200
    row = response.context["rows"][0]
    steps = {s["label"]: s for s in row["steps"]}
    assert steps["Remise"]["due"] == D(2024, 1, 16) and not steps["Remise"]["late"]
    assert steps["Signature"]["due"] == D(2024, 2, 1) and steps["Signature"]["late"]
    assert steps["Mise à jour annuelle"]["due"] is None
    html = text(response)
    assert "en retard" in html and "EHPAD Les Tilleuls" in html
    for action in ("contrat/", "absence/", "sortie/"):
        assert f"/sejours/sejour/{stay.pk}/{action}" in html
    assert "transfert/" not in html  # the EHPAD secretary manages no other facility
    event = AuditEvent.objects.get(action="stay.person_view")
    assert event.person_ids == [world.anne.pk]


def test_reader_without_the_right_to_manage_sees_no_forms(world, login, stay):
    educator = world.user("educateur", facility=world.ehpad)  # administrative: read
    response = login(educator).get(url(world.anne))
    assert response.status_code == 200
    assert f"/sejours/sejour/{stay.pk}/contrat/" not in text(response)
    assert response.context["rows"][0]["can_manage"] is False


def test_outsider_is_refused(world, login):
    response = login(world.user("accueil", facility=world.ime)).get(url(world.anne))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_record_contract_steps(world, login, secretary, stay):
    client = login(secretary)
    post = f"/sejours/sejour/{stay.pk}/contrat/"
    data = {"kind": "contrat", "handed_on": "2024-01-10", "expected_version": 0}
    response = client.post(post, data, follow=True)
    assert "Contrat de séjour enregistré." in messages_of(response)
    contract = Contract.objects.get()
    assert contract.handed_on == D(2024, 1, 10)
    data = {**data, "signed_on": "2024-01-25", "expected_version": contract.version}
    client.post(post, data)
    contract.refresh_from_db()
    assert contract.signed_on == D(2024, 1, 25) and contract.version == 2
    # A page loaded before that save is refused with a conflict, nothing overwritten.
    response = client.post(post, {**data, "signed_on": "2024-01-26", "expected_version": 1})
    assert response.status_code == 409
    contract.refresh_from_db()
    assert contract.signed_on == D(2024, 1, 25)


def test_contract_bad_dates_show_the_french_message(world, login, secretary, stay):
    response = login(secretary).post(
        f"/sejours/sejour/{stay.pk}/contrat/",
        {
            "kind": "contrat",
            "handed_on": "2024-02-01",
            "signed_on": "2024-01-20",
            "expected_version": 0,
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert "avant d'avoir été remis (01/02/2024)" in html and "Rien n'a été enregistré" in html
    assert not Contract.objects.exists()


def test_add_absence_once(world, login, secretary, stay):
    client = login(secretary)
    token = client.get(url(world.anne)).context["rows"][0]["forms"]["absence_token"]
    data = {"form_token": token, "kind": "vacances", "start_date": "2024-08-01"}
    response = client.post(f"/sejours/sejour/{stay.pk}/absence/", data, follow=True)
    assert "Absence enregistrée : vacances (01/08/2024)." in messages_of(response)
    again = client.post(f"/sejours/sejour/{stay.pk}/absence/", data, follow=True)
    assert "déjà été envoyé" in " ".join(messages_of(again))
    assert Absence.objects.count() == 1


def test_absence_before_admission_is_refused(world, login, secretary, stay):
    client = login(secretary)
    token = client.get(url(world.anne)).context["rows"][0]["forms"]["absence_token"]
    response = client.post(
        f"/sejours/sejour/{stay.pk}/absence/",
        {"form_token": token, "kind": "vacances", "start_date": "2023-08-01"},
    )
    assert response.status_code == 200
    assert "avant l'admission (01/01/2024)" in text(response)
    assert not Absence.objects.exists()


def test_discharge(world, login, secretary, stay):
    response = login(secretary).post(
        f"/sejours/sejour/{stay.pk}/sortie/",
        {
            "end_date": "2025-01-31",
            "reason": "choix_personne",
            "destination": "domicile",
            "expected_version": stay.version,
        },
        follow=True,
    )
    assert "Sortie enregistrée le 31/01/2025." in messages_of(response)
    stay.refresh_from_db()
    assert (stay.end_date, stay.discharge_reason) == (D(2025, 1, 31), "choix_personne")
    assert AuditEvent.objects.filter(action="stay.discharge").count() == 1


def test_discharge_before_admission_is_refused(world, login, secretary, stay):
    response = login(secretary).post(
        f"/sejours/sejour/{stay.pk}/sortie/",
        {
            "end_date": "2023-01-31",
            "reason": "autre",
            "destination": "domicile",
            "expected_version": stay.version,
        },
    )
    assert response.status_code == 200
    assert "ne peut pas précéder la date d'admission (01/01/2024)" in text(response)
    stay.refresh_from_db()
    assert stay.end_date is None


def test_transfer_to_another_facility_of_the_organisation(world, login, org_secretary, stay):
    client = login(org_secretary)
    choices = client.get(url(world.anne)).context["rows"][0]["forms"]["transfer"]
    assert [v for v, _ in choices.fields["to_facility"].choices] == ["", str(world.ime.pk)]
    on = timezone.localdate()
    response = client.post(
        f"/sejours/sejour/{stay.pk}/transfert/",
        {
            "to_facility": world.ime.pk,
            "on": on.isoformat(),
            "mode": "externat",
            "expected_version": stay.version,
        },
    )
    assert response.status_code == 302
    new = Stay.objects.get(person=world.anne, facility=world.ime)
    assert new.start_date == on and new.mode == "externat"
    stay.refresh_from_db()
    assert stay.end_date == on and stay.discharge_reason == "transfert"


def test_transfer_needs_the_right_in_both_facilities(world, login, secretary, stay):
    # The EHPAD secretary is not offered the IME, and a forged post is refused.
    client = login(secretary)
    assert "transfer" not in client.get(url(world.anne)).context["rows"][0]["forms"]
    response = client.post(
        f"/sejours/sejour/{stay.pk}/transfert/",
        {"to_facility": world.ime.pk, "on": "2025-01-01", "expected_version": stay.version},
    )
    assert response.status_code == 200
    assert "Vous n'avez pas le droit de gérer les admissions et séjours" in text(response)
    assert Stay.objects.filter(person=world.anne).count() == 1


def test_actions_on_a_stay_of_another_facility_are_refused(world, login, secretary):
    chloe_stay = world.chloe.stays.get()
    client = login(secretary)
    for action, data in [
        ("contrat/", {"kind": "contrat", "expected_version": 0}),
        ("sortie/", {"end_date": "2025-01-31", "reason": "autre", "destination": "domicile"}),
    ]:
        assert client.post(f"/sejours/sejour/{chloe_stay.pk}/{action}", data).status_code == 403
    chloe_stay.refresh_from_db()
    assert chloe_stay.end_date is None and not Contract.objects.exists()


def test_page_queries_do_not_grow_with_stays(
    world, login, secretary, django_assert_max_num_queries
):
    client = login(secretary)
    # One stay: 19 queries on SQLite, savepoints included, and the record banner's
    # (persons.sections: current stays, protection measures, photo, rights, MDPH orientations).
    with django_assert_max_num_queries(25):
        client.get(url(world.anne))
    for year in range(2010, 2023):
        old = Stay.objects.create(
            person=world.anne,
            facility=world.ehpad,
            start_date=D(year, 1, 1),
            end_date=D(year, 6, 30),
        )
        Contract.objects.create(stay=old, handed_on=D(year, 1, 2))
        Absence.objects.create(stay=old, kind="vacances", start_date=D(year, 3, 1))
    with django_assert_max_num_queries(25):
        response = client.get(url(world.anne))
    assert len(response.context["rows"]) == 14


# --- unit and room ----------------------------------------------------------------------------


def test_move_to_another_unit_and_room_keeps_the_stay_and_shows_in_the_banner(
    world, login, secretary, stay
):
    client = login(secretary)
    form = client.get(url(world.anne)).context["rows"][0]["forms"]["relocate"]
    assert [v for v, _ in form.fields["unit"].choices] == [
        "",
        str(world.glycines.pk),
        str(world.lilas.pk),
    ]
    assert form["unit"].value() == world.glycines.pk
    response = client.post(
        f"/sejours/sejour/{stay.pk}/lieu/",
        {"unit": world.lilas.pk, "room": " 104 ", "expected_version": stay.version},
        follow=True,
    )
    assert "Nouveau lieu enregistré : Les Lilas, chambre 104." in messages_of(response)
    stay.refresh_from_db()
    assert (stay.unit, stay.room, stay.end_date, stay.version) == (world.lilas, "104", None, 2)
    assert Stay.objects.filter(person=world.anne).count() == 1
    event = AuditEvent.objects.get(action="stay.relocate")
    assert event.person_ids == [world.anne.pk]
    changes = event.details["changes"]
    assert (changes["unit_id"], changes["room"]) == (
        [world.glycines.pk, world.lilas.pk],
        ["", "104"],
    )
    # The banner of every record page says where the person is.
    page = text(client.get(f"/personnes/{world.anne.pk}/"))
    assert "EHPAD Les Tilleuls, Les Lilas, chambre 104" in page


def test_relocation_refusals_save_nothing(world, login, secretary, stay):
    client = login(secretary)
    other_unit = world.ime.units.create(name="Les Écureuils")
    cases = [
        ({"unit": other_unit.pk, "room": "1"}, "Sélectionnez un choix valide"),
        ({"unit": world.glycines.pk, "room": ""}, "rien à changer"),
        ({"unit": world.lilas.pk, "room": "x" * 31}, "30 caractères"),
    ]
    for data, message in cases:
        response = client.post(
            f"/sejours/sejour/{stay.pk}/lieu/", {**data, "expected_version": stay.version}
        )
        assert response.status_code == 200, data
        assert message in text(response), data
    # Another facility's stay: refused, audited; a closed stay: refused.
    chloe_stay = world.chloe.stays.get()
    forged = client.post(
        f"/sejours/sejour/{chloe_stay.pk}/lieu/", {"room": "9", "expected_version": 1}
    )
    assert forged.status_code == 403
    stay.end_date = D(2025, 1, 31)
    stay.save()
    closed = client.post(
        f"/sejours/sejour/{stay.pk}/lieu/",
        {"unit": world.lilas.pk, "expected_version": stay.version},
    )
    assert "Ce séjour est clôturé (sortie le 31/01/2025)" in text(closed)
    stay.refresh_from_db()
    chloe_stay.refresh_from_db()
    assert (stay.unit, stay.room, chloe_stay.room) == (world.glycines, "", "")
    assert not AuditEvent.objects.filter(action="stay.relocate").exists()


def test_room_given_at_admission(world, login, secretary, newcomer):
    from .conftest import make_request

    request = make_request(world, newcomer, status="acceptee")
    response = login(secretary).post(
        f"/sejours/demande/{request.pk}/admission/",
        {
            "start_date": timezone.localdate().isoformat(),
            "mode": "hebergement_permanent",
            "unit": world.lilas.pk,
            "room": "7",
            "expected_version": request.version,
        },
    )
    assert response.status_code == 302
    assert Stay.objects.get(person=newcomer).room == "7"
