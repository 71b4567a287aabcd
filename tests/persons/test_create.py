from __future__ import annotations

import datetime as dt
import html

import pytest

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.persons.models import Person
from opendui.persons.services_create import create_person
from opendui.stays.models import Stay

URL = "/personnes/nouveau/"


def _form(client, **overrides):
    """A fresh form token from the page, then the submitted values."""
    response = client.get(URL)
    assert response.status_code == 200
    data = {
        "form_token": response.context["form_token"],
        "facility": response.context["form"]["facility"].value(),
        "unit": "",
        "birth_name": "Bernard",
        "birth_first_names": "Jeanne Alice",
        "used_name": "",
        "used_first_name": "",
        "birth_date": "1938-02-11",
        "sex": "F",
        "birth_place_code": "75056",
    }
    data.update(overrides)
    return data


@pytest.fixture
def accueil_client(world, login):
    return login(world.user("accueil", facility=world.ehpad))


def test_creation_writes_person_stay_and_audit(world, accueil_client):
    data = _form(accueil_client, unit=world.glycines.pk)
    response = accueil_client.post(URL, data)
    person = Person.objects.get(birth_name="BERNARD")
    assert response.status_code == 302 and response.url == f"/personnes/{person.pk}/"
    # Typed "Bernard" / "Jeanne Alice": stored in INS form (persons.traits).
    assert person.first_name == "JEANNE" and person.birth_first_names == "JEANNE ALICE"
    assert person.organisation == world.og and person.local_id == "U0000001"
    stay = Stay.objects.get(person=person)
    assert (stay.facility, stay.unit) == (world.ehpad, world.glycines)
    events = AuditEvent.objects.filter(action="person.create")
    assert events.count() == 2
    assert all(e.person_ids == [person.pk] for e in events)
    page = accueil_client.get(response.url)
    assert "est créé" in page.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "2999-01-01", "dans le futur"),
        ("birth_date", "1899-12-31", "antérieure au 1er janvier 1900"),
        ("birth_date", "31/02/1950", "date de naissance valide"),
        ("birth_place_code", "7505", "5 caractères"),
        ("birth_place_code", "2C123", "5 caractères"),
    ],
)
def test_bad_input_gives_a_french_field_error_and_saves_nothing(
    accueil_client, field, value, message
):
    count = Person.objects.count()
    response = accueil_client.post(URL, _form(accueil_client, **{field: value}))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert Person.objects.count() == count


@pytest.mark.parametrize("code", ["2A004", "2b033", "99134", "97411"])
def test_birth_place_code_formats_accepted(accueil_client, code):
    accueil_client.post(URL, _form(accueil_client, birth_place_code=code))
    assert Person.objects.get(birth_name="BERNARD").birth_place_code == code.upper()


def test_likely_duplicate_is_shown_and_blocks_until_confirmed(world, accueil_client):
    world.bruno.birth_first_names = "Bruno Paul"
    world.bruno.save()
    count = Person.objects.count()
    # 'LEFEVRE' vs 'Lefèvre', first names in another order, same birth date.
    data = _form(
        accueil_client,
        birth_name="LEFEVRE",
        birth_first_names="Paul Bruno",
        birth_date="1940-05-17",
        sex="M",
    )
    response = accueil_client.post(URL, data)
    body = response.content.decode()
    assert response.status_code == 200 and Person.objects.count() == count
    assert response.context["candidates"][0][0] == world.bruno
    assert world.bruno.local_id in body and "17/05/1940" in body
    assert "Je confirme qu&#x27;il ne s&#x27;agit d&#x27;aucune de ces personnes" in body
    assert f'href="/personnes/{world.bruno.pk}/"' not in body
    # The same token goes through once confirmed.
    assert response.context["form_token"] == data["form_token"]
    response = accueil_client.post(URL, {**data, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert Person.objects.count() == count + 1


def test_phonetic_duplicate_with_same_birth_date(world, accueil_client):
    # world.anne: MARTIN Anne born 17/05/1940; DUPONT Marie born the same day.
    dupont = world.person(world.ehpad, birth_name="Dupont", first_name="Marie")
    response = accueil_client.post(
        URL,
        _form(
            accueil_client, birth_name="Dupond", birth_first_names="Marie", birth_date="1940-05-17"
        ),
    )
    candidates = [p for p, _ in response.context["candidates"]]
    assert dupont in candidates
    assert world.denis not in candidates  # another organisation's person never shows
    assert not Person.objects.filter(birth_name="DUPOND").exists()


def test_used_name_is_matched_against_birth_name(world, accueil_client):
    response = accueil_client.post(
        URL,
        _form(
            accueil_client,
            birth_name="ROUX",
            used_name="Martin",
            birth_first_names="Anne",
            birth_date="1940-05-17",
        ),
    )
    assert world.anne in [p for p, _ in response.context["candidates"]]


def test_educator_is_refused(world, login):
    client = login(world.user("educateur", facility=world.ehpad))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"facility": world.ehpad.pk, "birth_name": "X"}).status_code == 403
    assert not Person.objects.filter(birth_name="X").exists()
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_accueil_cannot_create_in_a_facility_not_theirs(world, login):
    client = login(world.user("accueil", facility=world.ime))
    count = Person.objects.count()
    for facility in (world.ehpad, world.other):
        response = client.post(URL, _form(client, facility=facility.pk))
        assert response.status_code == 403
    assert Person.objects.count() == count


def test_unit_of_another_facility_is_refused(world, login):
    client = login(world.user("accueil", facility=world.ime))
    response = client.post(URL, _form(client, unit=world.glycines.pk))
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not Person.objects.filter(birth_name="BERNARD").exists()


def test_double_submission_creates_one_person(accueil_client):
    data = _form(accueil_client)
    first = accueil_client.post(URL, data)
    second = accueil_client.post(URL, data)
    assert first.status_code == 302 and second.status_code == 302
    assert second.url == "/personnes/"
    assert Person.objects.filter(birth_name="BERNARD").count() == 1


def test_local_ids_are_sequential_per_organisation(world):
    accueil = world.user("accueil", facility=world.ehpad)
    world.assign(accueil, "accueil", facility=world.ime)
    other = world.user("accueil", facility=world.other)
    Person.objects.filter(pk=world.anne.pk).update(local_id="U0000041")
    data = {
        "birth_name": "A",
        "birth_first_names": "B",
        "birth_date": dt.date(1950, 1, 1),
        "sex": "F",
    }
    first = create_person(Actor(accueil), world.ehpad, None, data)
    second = create_person(Actor(accueil), world.ime, None, data)
    elsewhere = create_person(Actor(other), world.other, None, data)
    assert (first.local_id, second.local_id) == ("U0000042", "U0000043")
    assert elsewhere.local_id == "U0000001"
    assert Stay.objects.get(person=second).start_date == dt.date.today()


def test_re_entry_is_found_behind_many_namesakes(world, monkeypatch):
    """The bounded prefilter keeps name + birth date matches before name-only ones."""
    from opendui.persons import services_create
    from opendui.persons.duplicates import Traits

    monkeypatch.setattr(services_create, "MAX_PREFILTERED", 5)
    Person.objects.bulk_create(
        Person(
            organisation=world.og,
            local_id=f"M{i:04d}",
            birth_name="MARTIN",
            first_name="Paul",
            birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=i),
            sex="M",
            birth_name_key="martin",
        )
        for i in range(20)
    )
    target = world.person(
        world.ehpad, birth_name="MARTIN", first_name="Jeanne", birth_date=dt.date(1931, 3, 9)
    )
    entered = Traits.of(birth_name="Martin", first_name="Jeanne", birth_date=dt.date(1931, 3, 9))
    found = services_create.duplicate_candidates(world.og, entered)
    assert found and found[0][0] == target


def test_creation_as_an_admission_request_puts_the_person_on_the_waiting_list(
    world, accueil_client
):
    from opendui.stays.models import AdmissionRequest

    response = accueil_client.post(URL, _form(accueil_client, entry="demande"))
    person = Person.objects.get(birth_name="BERNARD")
    assert response.status_code == 302 and response.url == f"/personnes/{person.pk}/"
    assert not Stay.objects.filter(person=person).exists()
    request = AdmissionRequest.objects.get(person=person)
    assert (request.facility, request.status) == (world.ehpad, "recue")
    assert AuditEvent.objects.filter(action="admission.create", person_ids=[person.pk]).exists()
    # The applicant is in the facility's scope: the secretary opens the record.
    page = html.unescape(accueil_client.get(response.url).content.decode())
    assert "liste d'attente" in page


def test_an_admission_request_has_no_unit(world, accueil_client):
    data = _form(accueil_client, entry="demande", unit=world.glycines.pk)
    response = accueil_client.post(URL, data)
    assert response.status_code == 200
    assert "elle se choisit à l'admission" in html.unescape(response.content.decode())
    assert not Person.objects.filter(birth_name="BERNARD").exists()


# --- RNIV character rules (persons.traits) -----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_name", "DUPONT3", "Caractère non autorisé dans le nom de naissance : « 3 »"),
        ("birth_first_names", "Jean!", "dans les prénoms de naissance : « ! »"),
        ("birth_name", "DUPONT\u202e", "« U+202E » (caractère invisible de mise en forme)"),
        ("birth_name", "\ufeffDUPONT", "« U+FEFF »"),
        ("birth_name", "<script>", "« < » (symbole)"),
        ("used_name", "DUPONT😀", "dans le nom utilisé : « 😀 »"),
        # "o" + two diaeresis: the first makes the French "ö", the second stays alone.
        ("used_first_name", "Zo\u0308\u0308", "dans le prénom utilisé : « U+0308 »"),
        ("birth_name", "-DUPONT", "ne peut pas commencer par « - »"),
    ],
)
def test_characters_outside_the_rniv_rules_are_refused_and_named(
    accueil_client, field, value, message
):
    count = Person.objects.count()
    response = accueil_client.post(URL, _form(accueil_client, **{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert message in html.unescape(response.content.decode())
    assert Person.objects.count() == count


def test_the_service_applies_the_rules_whatever_the_caller(world):
    from django.core.exceptions import ValidationError

    accueil = world.user("accueil", facility=world.ehpad)
    count = Person.objects.count()
    data = {"birth_name": "DUPONT3", "birth_first_names": "Jean!", "sex": "M"}
    with pytest.raises(ValidationError) as caught:
        create_person(
            Actor(accueil), world.ehpad, None, {**data, "birth_date": dt.date(1950, 1, 1)}
        )
    assert "« 3 »" in caught.value.message_dict["birth_name"][0]
    assert "« ! »" in caught.value.message_dict["birth_first_names"][0]
    assert Person.objects.count() == count
    person = create_person(
        Actor(accueil),
        world.ehpad,
        None,
        {
            "birth_name": "Lefèvre",
            "birth_first_names": " Héloïse  Marie ",
            "used_first_name": "Zoé",
            "sex": "F",
            "birth_date": dt.date(1948, 3, 12),
        },
    )
    assert (person.birth_name, person.first_name, person.birth_first_names) == (
        "LEFEVRE",
        "HELOISE",
        "HELOISE MARIE",
    )
    assert person.used_first_name == "ZOE"


def test_an_admitted_person_gets_the_facility_mode_or_the_one_chosen(world, accueil_client):
    """A stay without a mode counts in no occupation rate (activity report)."""
    accueil_client.post(URL, _form(accueil_client))
    assert Stay.objects.get(person__birth_name="BERNARD").mode == "hebergement_permanent"
    accueil_client.post(
        URL,
        _form(
            accueil_client,
            birth_name="Carpentier",
            mode="hebergement_temporaire",
            confirm_not_duplicate="on",
        ),
    )
    assert Stay.objects.get(person__birth_name="CARPENTIER").mode == "hebergement_temporaire"


def test_an_admission_request_has_no_mode(world, accueil_client):
    response = accueil_client.post(
        URL, _form(accueil_client, entry="demande", mode="hebergement_permanent")
    )
    assert response.status_code == 200
    assert "il se choisit à l'admission" in html.unescape(response.content.decode())
    assert not Person.objects.filter(birth_name="BERNARD").exists()


def test_a_facility_without_places_asks_for_the_mode(world):
    from django.core.exceptions import ValidationError

    world.ehpad.capacity_permanent = 0
    world.ehpad.category_id = "214"  # a CHRS recording no places: nothing tells the mode
    world.ehpad.save()
    traits = {"birth_name": "Roux", "birth_first_names": "Paul", "birth_date": dt.date(1950, 1, 1)}
    actor = Actor(user=world.user("accueil", facility=world.ehpad))
    with pytest.raises(ValidationError, match="Indiquez le mode d'accueil"):
        create_person(actor, world.ehpad, None, {**traits, "sex": "M"})
    assert not Person.objects.filter(birth_name="ROUX").exists()
    person = create_person(actor, world.ehpad, None, {**traits, "sex": "M"}, mode="autre")
    assert person.stays.get().mode == "autre"
