"""The identity vigilance page: display, INSi query and acceptance, document check, attributes."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import socket

import pytest
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.jobs.worker import run_pending
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.models import IdentityStatusChange, Person, Sex
from opendui.persons.rniv import IdentityStatus

# A national test persona known to the simulator (interop/insi/identities.py).
ADRTROIS = {
    "birth_name": "ADRTROIS",
    "first_name": "Dominique",
    "sex": Sex.FEMALE,
    "birth_date": dt.date(1997, 2, 26),
    "birth_place_code": "2A020",
}
ADRTROIS_MATRICULE = "297022A02077878"


def version_of(person) -> int:
    """The stored version, as the page the user posts from shows it."""
    return Person.objects.get(pk=person.pk).version


def url(person, action=""):
    return f"/personnes/{person.pk}/identite/{action}"


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def accept_data(client, person, **extra) -> dict:
    """The fields of the "Accepter les traits INSi" form as the page shows them."""
    form = client.get(url(person)).context["accept_form"]
    assert form is not None, "the page offers no acceptance"
    return {**{name: form[name].value() for name in ("query", "expected_version")}, **extra}


def run_jobs_until_done() -> None:
    """The worker's part: run the INSi jobs, jumping past the retry delays."""
    for hours in range(4):
        run_pending(now=timezone.now() + dt.timedelta(hours=hours))


# --- display -----------------------------------------------------------------------------------


def test_educator_sees_the_page_without_forms(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    client = login(educator)
    response = client.get(url(world.anne))
    assert response.status_code == 200
    html = text(response)
    assert "Identité provisoire" in html
    assert "MARTIN" in html
    assert "Interroger l'INSi" not in html
    assert "identite/piece" not in html and "identite/signalement" not in html
    event = AuditEvent.objects.filter(action="person.identity_view").latest("seq")
    assert event.person_ids == [world.anne.pk] and event.user_id == educator.pk


def test_outsider_is_refused(world, login):
    client = login(world.user("educateur", facility=world.other))
    assert client.get(url(world.anne)).status_code == 403
    assert not AuditEvent.objects.filter(action="person.identity_view").exists()


def test_unknown_person_is_404(world, login):
    client = login(world.user("accueil", facility=world.ehpad))
    assert client.get("/personnes/999999/identite/").status_code == 404


def test_record_page_links_to_the_identity_page(world, login):
    client = login(world.user("educateur", facility=world.ehpad))
    html = text(client.get(f"/personnes/{world.anne.pk}/"))
    assert url(world.anne) in html and "Identité provisoire" in html


def test_matricule_hidden_until_qualified(world, login, secretary):
    person = world.person(
        world.ehpad,
        **ADRTROIS,
        ins_matricule=ADRTROIS_MATRICULE,
        ins_oid=INS_NIR_OID,
        identity_retrieved_from_insi=True,
    )
    client = login(secretary)
    html = text(client.get(url(person)))
    assert "Identité récupérée" in html
    assert ADRTROIS_MATRICULE not in html
    assert "n'est affiché que pour une identité qualifiée" in html
    Person.objects.filter(pk=person.pk).update(identity_document_checked=True)
    html = text(client.get(url(person)))
    assert "Identité qualifiée" in html and ADRTROIS_MATRICULE in html
    assert INS_NIR_OID in html


# --- document check ------------------------------------------------------------------------


def test_document_check_validates_and_shows_in_history(world, login, secretary):
    client = login(secretary)
    response = client.post(
        url(world.anne, "piece/"), {"document": "CN", "expected_version": version_of(world.anne)}
    )
    assert response.status_code == 302 and response.url == url(world.anne)
    world.anne.refresh_from_db()
    assert world.anne.identity_status is IdentityStatus.VALI
    assert world.anne.identity_document_type == "CN"
    response = client.get(response.url)
    html = text(response)
    assert any("identité validée" in m for m in messages_of(response))
    assert "Contrôle sur une pièce d'identité (Carte nationale d'identité)" in html
    assert "Identité provisoire → Identité validée" in html
    assert secretary.full_name in html


def test_document_not_high_trust_for_an_adult_is_refused(world, login, secretary):
    client = login(secretary)
    response = client.post(
        url(world.anne, "piece/"),
        {"document": "AN", "expected_version": version_of(world.anne)},
        follow=True,
    )
    assert any("n'est admis que pour un mineur" in m for m in messages_of(response))
    world.anne.refresh_from_db()
    assert world.anne.identity_status is IdentityStatus.PROV
    assert not IdentityStatusChange.objects.filter(person=world.anne).exists()


def test_document_form_without_choice_changes_nothing(world, login, secretary):
    client = login(secretary)
    response = client.post(
        url(world.anne, "piece/"),
        {"document": "", "expected_version": version_of(world.anne)},
        follow=True,
    )
    assert any("Choisissez la pièce" in m for m in messages_of(response))
    assert not IdentityStatusChange.objects.filter(person=world.anne).exists()


# --- attributes ----------------------------------------------------------------------------


def test_mark_attribute_drops_validation_and_is_listed(world, login, secretary):
    client = login(secretary)
    client.post(
        url(world.anne, "piece/"), {"document": "PA", "expected_version": version_of(world.anne)}
    )
    response = client.post(
        url(world.anne, "signalement/"),
        {
            "attribute": "douteuse",
            "reason": "Deux dates de naissance différentes",
            "expected_version": version_of(world.anne),
        },
        follow=True,
    )
    world.anne.refresh_from_db()
    assert world.anne.identity_doubtful
    assert world.anne.identity_status is IdentityStatus.PROV
    html = text(response)
    assert "Deux dates de naissance différentes" in html and "Signalée douteuse" in html
    # Newest first.
    assert html.index("Signalée douteuse") < html.index("Contrôle sur une pièce")


def test_mark_attribute_refused_changes_nothing(world, login, secretary):
    client = login(secretary)
    client.post(
        url(world.anne, "signalement/"),
        {"attribute": "fictive", "reason": "Test", "expected_version": version_of(world.anne)},
    )
    response = client.post(
        url(world.anne, "signalement/"),
        {
            "attribute": "homonyme",
            "reason": "Autre personne",
            "expected_version": version_of(world.anne),
        },
        follow=True,
    )
    assert any(
        "Une identité fictive ne peut porter aucun autre attribut" in m
        for m in messages_of(response)
    )
    world.anne.refresh_from_db()
    assert world.anne.identity_fictitious and not world.anne.identity_homonym


def test_mark_attribute_without_reason_is_refused(world, login, secretary):
    client = login(secretary)
    response = client.post(
        url(world.anne, "signalement/"),
        {"attribute": "douteuse", "reason": "", "expected_version": version_of(world.anne)},
        follow=True,
    )
    assert any("motif" in m for m in messages_of(response))
    world.anne.refresh_from_db()
    assert not world.anne.identity_doubtful


# --- INSi --------------------------------------------------------------------------------------


def test_insi_query_accept_then_document_qualifies(world, login, secretary, insi):
    person = world.person(world.ehpad, **ADRTROIS)
    client = login(secretary)
    response = client.post(url(person, "insi/"))
    assert response.status_code == 302 and response.url == url(person)
    # The search runs in a background job: the page says so until the worker ran it.
    html = text(client.get(url(person)))
    assert "Recherche en cours…" in html and "Accepter les traits INSi" not in html
    assert f"/personnes/{person.pk}/identite/insi/etat/" in html  # polled by app.js
    run_jobs_until_done()
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV  # nothing changes before acceptance
    response = client.get(url(person))
    html = text(response)
    assert "Recherche en cours…" not in html
    assert "Identité renvoyée par l'INSi" in html and "Accepter les traits INSi" in html
    assert "DOMINIQUE" in html and "2A020" in html
    assert ADRTROIS_MATRICULE not in html
    assert AuditEvent.objects.filter(action="person.insi_search", person_ids=[person.pk]).exists()

    response = client.post(url(person, "insi/accepter/"), accept_data(client, person), follow=True)
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.RECUP
    assert person.ins_matricule == ADRTROIS_MATRICULE
    assert (person.first_name, person.birth_first_names) == ("DOMINIQUE", "DOMINIQUE")
    html = text(response)
    assert ADRTROIS_MATRICULE not in html
    assert "Accepter les traits INSi" not in html  # the result was used

    response = client.post(
        url(person, "piece/"),
        {"document": "PA", "expected_version": version_of(person)},
        follow=True,
    )
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.QUAL
    html = text(response)
    assert "Identité qualifiée" in html and ADRTROIS_MATRICULE in html


def test_traits_corrected_after_the_query_hide_accept_and_say_what_to_do(
    world, login, secretary, insi
):
    person = world.person(world.ehpad, **{**ADRTROIS, "birth_place_code": ""})
    client = login(secretary)
    client.post(url(person, "insi/"))
    run_jobs_until_done()
    data = accept_data(client, person)
    # The traits are corrected by someone else meanwhile: INSi was asked about others.
    Person.objects.filter(pk=person.pk).update(birth_date=dt.date(1997, 2, 27))
    html = text(client.get(url(person)))
    assert "<mark>27/02/1997</mark>" in html and "<mark>26/02/1997</mark>" in html
    assert "Accepter les traits INSi" not in html
    assert "modifiés depuis l'interrogation de l'INSi" in html
    assert "Interrogez de nouveau l'INSi" in html
    response = client.post(url(person, "insi/accepter/"), data, follow=True)
    assert any("Interrogez de nouveau l'INSi" in m for m in messages_of(response))
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV and person.ins_matricule == ""


# A synthetic identity of the simulator: Lefèvre Héloïse Marie, returned as INSi writes it.
LEFEVRE = {
    "sex": Sex.FEMALE,
    "birth_date": dt.date(1948, 3, 12),
}


def strict_traits(person) -> tuple:
    person.refresh_from_db()
    return (
        person.birth_name,
        person.first_name,
        person.birth_first_names,
        person.sex,
        person.birth_date,
        person.birth_place_code,
    )


def test_accepting_insi_replaces_every_strict_trait(world, login, secretary, insi):
    """A record typed "Lefèvre / Héloïse" took only INSi's list of first names: the page
    showed "LEFÈVRE / Héloïse" beside "HELOISE MARIE". All of INSi's traits are taken."""
    person = world.person(world.ehpad, birth_name="Lefèvre", first_name="Héloïse", **LEFEVRE)
    client = login(secretary)
    client.post(url(person, "insi/"))
    run_jobs_until_done()
    response = client.post(url(person, "insi/accepter/"), accept_data(client, person), follow=True)
    assert strict_traits(person) == (
        "LEFEVRE",
        "HELOISE",
        "HELOISE MARIE",
        "F",
        dt.date(1948, 3, 12),
        "75056",
    )
    assert person.identity_status is IdentityStatus.RECUP
    assert person.ins_matricule == "248037505612373"
    html = text(response)
    assert "<dt>Nom de naissance</dt><dd>LEFEVRE</dd>" in html
    assert "<dt>Premier prénom de naissance</dt><dd>HELOISE</dd>" in html
    assert "<dt>Prénoms de naissance</dt><dd>HELOISE MARIE</dd>" in html
    strict_section = html.split('id="strict-traits"')[1].split("</section>")[0]
    assert "Héloïse" not in strict_section and "Lefèvre" not in strict_section
    change = IdentityStatusChange.objects.get(person=person)
    assert change.changes["birth_name"] == ["Lefèvre", "LEFEVRE"]
    assert change.changes["first_name"] == ["Héloïse", "HELOISE"]
    assert change.changes["birth_first_names"] == ["", "HELOISE MARIE"]
    assert "Prénoms de naissance :  → HELOISE MARIE" not in html
    assert "Prénoms de naissance : – → HELOISE MARIE" in html


def test_more_first_names_from_insi_are_accepted_once_checked(world, login, secretary, insi):
    """INSi knows more first names than were typed: the page says so, asks the user to
    check them on the identity document, and accepting replaces the typed ones."""
    person = world.person(
        world.ehpad,
        birth_name="LEFEVRE",
        first_name="HELOISE",
        birth_first_names="HELOISE",
        **LEFEVRE,
    )
    client = login(secretary)
    client.post(url(person, "insi/"))
    run_jobs_until_done()
    response = client.get(url(person))
    html = text(response)
    assert "<mark>HELOISE</mark>" in html and "<mark>HELOISE MARIE</mark>" in html
    assert "corrigez-la avant de l'accepter" not in html
    assert "vérifiez-les sur la pièce d'identité" in html
    assert "Accepter les traits INSi" in html and "accept_confirm_differences" in html
    before = strict_traits(person)

    data = accept_data(client, person)
    response = client.post(url(person, "insi/accepter/"), data, follow=True)
    assert any("cochez la confirmation" in m for m in messages_of(response))
    assert strict_traits(person) == before and person.identity_status is IdentityStatus.PROV

    response = client.post(
        url(person, "insi/accepter/"), {**data, "confirm_differences": "on"}, follow=True
    )
    assert strict_traits(person)[:3] == ("LEFEVRE", "HELOISE", "HELOISE MARIE")
    assert person.identity_status is IdentityStatus.RECUP
    change = IdentityStatusChange.objects.get(person=person)
    assert change.event == "insi_retrieval"
    assert "prénoms de naissance : « heloise » / « heloise marie »" in change.reason
    assert change.changes == {
        "birth_first_names": ["HELOISE", "HELOISE MARIE"],
        "birth_place_code": ["", "75056"],
    }
    assert AuditEvent.objects.filter(action="identity.insi_retrieval").get().details["changes"][
        "birth_first_names"
    ] == ["HELOISE", "HELOISE MARIE"]
    assert any("Traits INSi acceptés" in m for m in messages_of(response))


def test_accepting_with_a_stale_version_is_refused(world, login, secretary, insi):
    person = world.person(world.ehpad, **ADRTROIS)
    client = login(secretary)
    client.post(url(person, "insi/"))
    run_jobs_until_done()
    data = accept_data(client, person)
    # Someone edits the used name meanwhile (strict traits unchanged: the answer still holds).
    Person.objects.filter(pk=person.pk).update(used_name="DURAND", version=person.version + 1)
    response = client.post(url(person, "insi/accepter/"), data, follow=True)
    assert any("modifié par quelqu'un d'autre" in m for m in messages_of(response))
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV and person.ins_matricule == ""
    response = client.post(url(person, "insi/accepter/"), {"query": data["query"]}, follow=True)
    assert any("rechargez la page" in m for m in messages_of(response))
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV


def test_an_insi_answer_the_record_cannot_hold_is_not_offered(world, login, secretary):
    """§1.7: a CNDA case returns a matricule whose key is wrong; the answer is shown, but
    not offered for acceptance, and the page says what to do."""
    from opendui.interop.insi import services as insi_services
    from opendui.interop.insi.models import InsiQuery, QueryKind, QueryStatus

    person = world.person(world.ehpad, **ADRTROIS)
    sent = insi_services.search_traits_of(person)
    query = InsiQuery.objects.create(
        person=person,
        kind=QueryKind.SEARCH,
        requested_by=secretary,
        traits_sent={},
        traits_hash=insi_services.traits_hash(sent),
        status=QueryStatus.DONE,
        outcome="00",
        returned={
            "birth_name": "ADRTROIS",
            "birth_first_names": ["DOMINIQUE"],
            "sex": "F",
            "birth_date": "1997-02-26",
            "birth_place_code": "2A020",
            "matricule": "297022A02077800",
            "oid": INS_NIR_OID,
        },
    )
    client = login(secretary)
    html = text(client.get(url(person)))
    assert "Identité renvoyée par l'INSi" in html
    assert "Accepter les traits INSi" not in html
    assert "ne peut pas être enregistrée" in html and "clé de contrôle" in html
    assert "signalez-le au référent en identitovigilance" in html
    response = client.post(
        url(person, "insi/accepter/"),
        {"query": query.pk, "expected_version": person.version},
        follow=True,
    )
    assert any("ne peut pas être enregistrée" in m for m in messages_of(response))
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV and person.ins_matricule == ""


def test_accept_without_a_query_is_refused(world, login, secretary):
    client = login(secretary)
    response = client.post(url(world.anne, "insi/accepter/"), follow=True)
    assert any("interrogez de nouveau" in m for m in messages_of(response))
    world.anne.refresh_from_db()
    assert world.anne.identity_status is IdentityStatus.PROV


def test_insi_no_identity_found(world, login, secretary, insi):
    client = login(secretary)
    client.post(url(world.anne, "insi/"))
    run_jobs_until_done()
    html = text(client.get(url(world.anne)))
    assert "Aucune identité trouvée" in html
    assert "Accepter l'identité INSi" not in html


def test_insi_unreachable_changes_nothing(world, login, secretary, settings):
    settings.INSI_ENDPOINT = f"http://127.0.0.1:{closed_port()}/lps"
    settings.INSI_IDAM = "TEST"
    settings.INSI_TIMEOUT = 2
    person = world.person(world.ehpad, **ADRTROIS)
    client = login(secretary)
    client.post(url(person, "insi/"))
    run_jobs_until_done()
    html = text(client.get(url(person)))
    assert "injoignable (après 3 tentatives)" in html and "votre saisie est conservée" in html
    assert "Réessayer" in html
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV and person.ins_matricule == ""
    assert not IdentityStatusChange.objects.filter(person=person).exists()


def test_insi_not_configured_gives_a_french_message(world, login, secretary, settings):
    settings.INSI_ENDPOINT = ""
    client = login(secretary)
    response = client.post(url(world.anne, "insi/"), follow=True)
    assert any("n'est pas configuré" in m for m in messages_of(response))


def test_insi_fault_gives_a_french_message(world, login, secretary, insi, settings):
    settings.INSI_IDAM = ""
    client = login(secretary)
    client.post(url(world.anne, "insi/"))
    run_jobs_until_done()
    html = text(client.get(url(world.anne)))
    assert "a refusé la demande" in html and "Rien n'a changé" in html
    world.anne.refresh_from_db()
    assert world.anne.identity_status is IdentityStatus.PROV


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["insi/", "insi/accepter/", "piece/", "signalement/"])
def test_educator_cannot_post_actions(world, login, action):
    client = login(world.user("educateur", facility=world.ehpad))
    response = client.post(
        url(world.anne, action), {"document": "CN", "attribute": "douteuse", "reason": "x"}
    )
    assert response.status_code == 403
    world.anne.refresh_from_db()
    assert world.anne.identity_status is IdentityStatus.PROV
    assert not world.anne.identity_doubtful


def test_actions_are_post_only(world, login, secretary):
    client = login(secretary)
    assert client.get(url(world.anne, "piece/")).status_code == 405
