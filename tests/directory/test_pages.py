"""Pages of the directory and of a person's professionals: rights, audit, bad input,
attacker-controlled ids, query counts."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.directory.models import ExternalProfessional, ExternalStructure, PersonProfessional

from .conftest import RPPS, valid_rpps

LIST = "/annuaire/"
CREATE = "/annuaire/professionnels/nouveau/"


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def person_url(person, action: str = "") -> str:
    return f"/annuaire/personne/{person.pk}/{action}"


def many(world, count: int, organisation=None) -> None:
    ExternalProfessional.objects.bulk_create(
        ExternalProfessional(
            organisation=organisation or world.og,
            last_name=f"Nom{i:03d}",
            name_key=f"nom{i:03d}",
            profession_code="60",
            profession_label="Infirmier",
            mssante_addresses=[f"n{i}@infirmier.mssante.fr"],
        )
        for i in range(count)
    )


# --- the directory lists ----------------------------------------------------------------------


def test_search_by_name_rpps_city_and_profession(world, login, educator, doctor, other_doctor):
    client = login(educator)
    nurse = ExternalProfessional.objects.create(
        organisation=world.og,
        last_name="Lefèvre",
        profession_code="60",
        profession_label="Infirmier",
        city="Villeurbanne",
    )

    def names(**params) -> set[str]:
        response = client.get(LIST, params)
        assert response.status_code == 200
        return {p.last_name for p in response.context["professionals"]}

    assert names() == {"Moreau", "Bernard", "Lefèvre"}
    assert names(q="lefevre") == {"Lefèvre"}
    assert names(q="claire mor") == {"Moreau"}
    assert names(q=RPPS[:6]) == {"Moreau"}
    assert names(city="lyo") == {"Moreau"}
    assert names(profession="60") == {"Lefèvre"}
    assert names(profession="zz") == {"Moreau", "Bernard", "Lefèvre"}  # invalid: ignored
    # An educator reads, does not manage.
    assert "Ajouter un professionnel" not in text(client.get(LIST))
    nurse.active = False
    nurse.deactivated_on = dt.date(2026, 1, 1)
    nurse.save()
    assert names() == {"Moreau", "Bernard"}
    assert names(inactive="on") == {"Moreau", "Bernard", "Lefèvre"}


def test_the_list_shows_only_the_users_organisation(world, login, educator, foreign_doctor):
    response = login(educator).get(LIST)
    assert foreign_doctor not in response.context["professionals"]
    assert response.context["organisation"] == world.og


def test_a_role_without_the_directory_gets_an_audited_403(world, login):
    client = login(world.user("directeur", facility=world.ehpad))
    for url in (LIST, "/annuaire/structures/", CREATE):
        assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").count() == 3


@pytest.mark.parametrize("url", [LIST, "/annuaire/structures/"])
def test_lists_are_paginated_with_bounded_queries(
    world, login, secretary, django_assert_max_num_queries, url
):
    client = login(secretary)
    many(world, 5)
    ExternalStructure.objects.bulk_create(
        ExternalStructure(organisation=world.og, name=f"S{i}", name_key=f"s{i:03d}", kind="cabinet")
        for i in range(5)
    )
    with django_assert_max_num_queries(12) as small:
        assert client.get(url).status_code == 200
    many(world, 60)
    ExternalStructure.objects.bulk_create(
        ExternalStructure(organisation=world.og, name=f"T{i}", name_key=f"t{i:03d}", kind="cabinet")
        for i in range(60)
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, {"page": "2"})
    assert response.status_code == 200
    assert response.context["page_obj"].has_previous
    assert client.get(url, {"page": "99999999999999999999999"}).status_code == 200


# --- creation, correction, deactivation -------------------------------------------------------


def _token(client, url=CREATE) -> str:
    return client.get(url).context["form_token"]


def test_secretary_adds_a_professional(world, login, secretary):
    client = login(secretary)
    data = {
        "form_token": _token(client),
        "civility": "DR",
        "last_name": "Moreau",
        "first_name": "Claire",
        "profession_code": "10",
        "rpps": RPPS,
        "phone": "04 72 00 00 00",
        "mssante_addresses": "claire.moreau@medecin.mssante.fr\n",
    }
    response = client.post(CREATE, data, follow=True)
    assert response.status_code == 200
    professional = ExternalProfessional.objects.get()
    assert professional.organisation == world.og and professional.idnat_ps == "8" + RPPS
    assert professional.phone == "+33472000000"  # stored in E.164 (core.phones)
    assert "a été ajouté(e) à l'annuaire" in text(response)
    # Shown in the national form, dialled in the international one.
    assert '<a href="tel:+33472000000">04 72 00 00 00</a>' in text(client.get(LIST))
    edit = client.get(f"/annuaire/professionnels/{professional.pk}/modifier/")
    assert edit.context["form"].initial["phone"] == "04 72 00 00 00"
    # The same form sent again creates nothing.
    client.post(CREATE, data, follow=True)
    assert ExternalProfessional.objects.count() == 1


def test_bad_input_gets_french_errors_and_writes_nothing(world, login, secretary):
    client = login(secretary)
    response = client.post(
        CREATE,
        {
            "form_token": _token(client),
            "last_name": "Moreau",
            "profession_code": "99",
            "rpps": "12345678901",
            "adeli": "x",
            "phone": "12",
            "email": "pas-un-courriel",
            "mssante_addresses": "claire@gmail.com",
            "structure": "99999999999999999999999",
            "postal_code": "ABCDE",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {
        "profession_code",
        "rpps",
        "adeli",
        "phone",
        "email",
        "mssante_addresses",
        "structure",
        "postal_code",
    }
    page = text(response)
    assert "La clé du numéro RPPS est incorrecte" in page
    assert "mssante.fr" in page
    assert not ExternalProfessional.objects.exists()


def test_a_stale_edit_is_a_409(world, login, secretary, doctor):
    client = login(secretary)
    url = f"/annuaire/professionnels/{doctor.pk}/modifier/"
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["structure"] = ""
    data["phone"] = "0472000000"
    ExternalProfessional.objects.filter(pk=doctor.pk).update(version=2)
    response = client.post(url, data)
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(response)
    data["expected_version"] = 2
    assert client.post(url, data).status_code == 302
    doctor.refresh_from_db()
    assert doctor.phone == "+33472000000" and doctor.version == 3


def test_an_entry_of_another_organisation_is_refused(world, login, secretary, foreign_doctor):
    client = login(secretary)
    foreign_structure = ExternalStructure.objects.create(
        organisation=world.other_og, name="Ailleurs", kind="cabinet"
    )
    for url in (
        f"/annuaire/professionnels/{foreign_doctor.pk}/modifier/",
        f"/annuaire/professionnels/{foreign_doctor.pk}/desactiver/",
        f"/annuaire/structures/{foreign_structure.pk}/modifier/",
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"last_name": "Pirate", "expected_version": 1}).status_code == 403
    assert client.get("/annuaire/professionnels/999999/modifier/").status_code == 404
    foreign_doctor.refresh_from_db()
    assert foreign_doctor.last_name == "Durand" and foreign_doctor.version == 1


def test_deactivation_page(world, login, secretary, doctor):
    client = login(secretary)
    url = f"/annuaire/professionnels/{doctor.pk}/desactiver/"
    response = client.post(url, {"reason": "", "expected_version": 1})
    assert response.status_code == 200 and "Ce champ est obligatoire" in text(response)
    response = client.post(url, {"reason": "Départ en retraite", "expected_version": 1})
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert not doctor.active and doctor.deactivation_reason == "Départ en retraite"


def test_secretary_adds_a_structure(world, login, secretary):
    client = login(secretary)
    url = "/annuaire/structures/nouvelle/"
    response = client.post(
        url,
        {
            "form_token": _token(client, url),
            "name": "Pharmacie du Centre",
            "kind": "pharmacie",
            "siret": "73282932000074",
            "mssante_address": "officine@pharmacien.mssante.fr",
        },
    )
    assert response.status_code == 302
    assert ExternalStructure.objects.get().organisation == world.og


# --- a person's professionals -----------------------------------------------------------------


def test_person_page_is_audited_and_shows_the_gp(world, login, educator, doctor):
    PersonProfessional.objects.create(
        person=world.anne,
        professional=doctor,
        role="medecin_traitant",
        start_date=dt.date(2025, 1, 1),
    )
    response = login(educator).get(person_url(world.anne))
    assert response.status_code == 200
    page = text(response)
    assert "Médecin traitant" in page and "Docteur MOREAU Claire" in page
    assert "Mettre fin" not in page  # an educator reads only
    event = AuditEvent.objects.get(action="person.professionals_view")
    assert event.person_ids == [world.anne.pk]


def test_person_of_another_facility_or_organisation_is_refused(world, login, secretary):
    client = login(secretary)
    for person in (world.chloe, world.denis):
        for action in ("", "ajouter/"):
            assert client.get(person_url(person, action)).status_code == 403
    assert client.get("/annuaire/personne/99999999/").status_code == 404


def test_the_picker_finds_links_and_changes_the_gp(world, login, secretary, doctor, other_doctor):
    client = login(secretary)
    url = person_url(world.anne, "ajouter/")
    page = client.get(url, {"q": "moreau"})
    assert page.status_code == 200
    assert [p.pk for p in page.context["professionals"]] == [doctor.pk]

    def post(entry, **extra):
        data = {
            "form_token": client.get(url, {"q": "mo"}).context["form_token"],
            "entry": entry,
            "role": "medecin_traitant",
            "start_date": timezone.localdate().isoformat(),
            "q": "mo",
            **extra,
        }
        return client.post(url, data)

    assert post(f"p{doctor.pk}").status_code == 302
    refused = post(f"p{other_doctor.pk}")
    assert refused.status_code == 200
    assert "déjà un médecin traitant" in text(refused)
    assert post(f"p{other_doctor.pk}", replace_current_gp="on").status_code == 302
    current = PersonProfessional.objects.get(person=world.anne, end_date=None)
    assert current.professional == other_doctor
    assert PersonProfessional.objects.filter(person=world.anne).count() == 2


@pytest.mark.parametrize(
    "entry", ["", "x1", "p", "p-1", "p99999999999999999999999", "s1' OR 1=1", "p0"]
)
def test_the_picker_refuses_garbage_entries(world, login, secretary, entry):
    client = login(secretary)
    url = person_url(world.anne, "ajouter/")
    token = client.get(url).context["form_token"]
    response = client.post(
        url, {"form_token": token, "entry": entry, "role": "autre", "start_date": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "entry" in response.context["form"].errors
    assert not PersonProfessional.objects.exists()


def test_the_picker_refuses_an_entry_of_another_organisation(
    world, login, secretary, foreign_doctor
):
    client = login(secretary)
    url = person_url(world.anne, "ajouter/")
    response = client.get(url, {"q": "durand"})
    assert response.context["professionals"] == []
    response = client.post(
        url,
        {
            "form_token": response.context["form_token"],
            "entry": f"p{foreign_doctor.pk}",
            "role": "autre",
            "start_date": "2025-01-01",
            "start_date_extra": "x",
        },
    )
    assert response.status_code == 200
    assert "n'est pas dans l'annuaire de l'organisme" in text(response)
    assert not PersonProfessional.objects.exists()


def test_bad_dates_are_form_errors(world, login, secretary, doctor):
    client = login(secretary)
    url = person_url(world.anne, "ajouter/")
    for start in ("9999-12-31", "2025-02-30", "demain", "0001-01-01"):
        token = client.get(url).context["form_token"]
        response = client.post(
            url,
            {"form_token": token, "entry": f"p{doctor.pk}", "role": "autre", "start_date": start},
        )
        assert response.status_code == 200, start
        assert not PersonProfessional.objects.exists()


def test_ending_a_link_page(world, login, secretary, doctor):
    link = PersonProfessional.objects.create(
        person=world.anne, professional=doctor, role="specialiste", start_date=dt.date(2025, 1, 1)
    )
    client = login(secretary)
    url = person_url(world.anne, f"liens/{link.pk}/fin/")
    today = timezone.localdate().isoformat()
    stale = client.post(url, {"end_date": today, "end_reason": "Fin", "expected_version": 5})
    assert stale.status_code == 409
    done = client.post(
        url, {"end_date": today, "end_reason": "Fin du suivi", "expected_version": 1}
    )
    assert done.status_code == 302
    link.refresh_from_db()
    assert link.end_date is not None
    page = text(client.get(person_url(world.anne)))
    assert "Historique" in page and "Fin du suivi" in page
    # Another person's link through this person's URL: not found.
    other = PersonProfessional.objects.create(
        person=world.bruno, professional=doctor, role="autre", start_date=dt.date(2025, 1, 1)
    )
    assert client.get(person_url(world.anne, f"liens/{other.pk}/fin/")).status_code == 404


def test_person_page_queries_do_not_grow_with_links(
    world, login, secretary, django_assert_max_num_queries
):
    client = login(secretary)
    many(world, 30)
    professionals = list(ExternalProfessional.objects.all())
    PersonProfessional.objects.create(
        person=world.anne,
        professional=professionals[0],
        role="autre",
        start_date=dt.date(2025, 1, 1),
    )
    with django_assert_max_num_queries(25) as few:
        assert client.get(person_url(world.anne)).status_code == 200
    PersonProfessional.objects.bulk_create(
        PersonProfessional(
            person=world.anne, professional=p, role="autre", start_date=dt.date(2025, 1, 1)
        )
        for p in professionals[1:]
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(person_url(world.anne)).status_code == 200


def test_the_include_renders_without_writing_an_access_event(world, secretary, doctor):
    from opendui.directory.selectors import professionals_of

    PersonProfessional.objects.create(
        person=world.anne,
        professional=doctor,
        role="medecin_traitant",
        start_date=dt.date(2025, 1, 1),
    )
    before = AuditEvent.objects.count()
    html = render_to_string(
        "directory/_person_professionals.html",
        {"person": world.anne, "person_professionals": professionals_of(secretary, world.anne)},
    )
    assert "Docteur MOREAU Claire" in htmllib.unescape(html)
    assert "Mettre fin" not in html
    assert AuditEvent.objects.count() == before
    assert valid_rpps("1000346103") == RPPS


def test_secretary_corrects_a_structure_with_its_version(world, login, secretary, pharmacy):
    client = login(secretary)
    url = f"/annuaire/structures/{pharmacy.pk}/modifier/"
    data = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    data["phone"] = "+33 4 78 00 00 00"
    assert client.post(url, {**data, "expected_version": 9}).status_code == 409
    assert client.post(url, data).status_code == 302
    pharmacy.refresh_from_db()
    assert pharmacy.phone == "+33478000000" and pharmacy.version == 2
    assert AuditEvent.objects.filter(action="directory.structure_update").count() == 1
    page = client.get(f"/annuaire/structures/{pharmacy.pk}/desactiver/")
    assert 'href="/annuaire/structures/"' in page.content.decode()
