"""One-time tokens of creation forms: consumed by one DELETE in the creating transaction.

The session cannot decide between parallel submissions of the same form (they all
read it before any of them writes it back): the database row of the token does.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django import forms
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from opendui.core.forms import (
    TOKENS_KEY,
    consume_form_token,
    handle_creation,
    prune_form_tokens,
    store_issued_tokens,
)
from opendui.core.forms import (
    issue_form_token as _issue_only,
)
from opendui.core.models import FormToken
from opendui.incidents.models import Incident
from opendui.notes.models import Note
from opendui.organisations.models import Unit
from opendui.persons.models import Person

PARALLEL = 6


def _request(user, session: SessionStore | None = None, data: dict | None = None):
    """A request of `user` with a real (database) session and message storage."""
    request = RequestFactory().post("/", data or {})
    request.user = user
    request.session = session if session is not None else SessionStore()
    request._messages = default_storage(request)
    return request


def issue_form_token(request) -> str:
    """Issue, then store the row as FormTokenMiddleware does once the page is answered."""
    token = _issue_only(request)
    store_issued_tokens(request)
    return token


class _Form(forms.Form):
    name = forms.CharField()


def _handle(request, save):
    form = _Form({"name": "x"})
    return handle_creation(request, form, save, on_replay_url="/ailleurs/")


# --- deterministic, any database ------------------------------------------------------------


def test_consuming_twice_is_a_replay(world):
    request = _request(world.user("accueil", facility=world.ehpad))
    token = issue_form_token(request)
    assert consume_form_token(request, token) is True
    assert consume_form_token(request, token) is False
    assert not FormToken.objects.filter(token=token).exists()


def test_a_token_still_listed_in_the_session_is_not_consumed_twice(world):
    """A concurrent request may write the session back with the token still in it:
    the row, gone since the first consumption, decides."""
    request = _request(world.user("accueil", facility=world.ehpad))
    token = issue_form_token(request)
    assert consume_form_token(request, token) is True
    request.session[TOKENS_KEY] = [token]  # the session saved by a parallel request
    created = []
    result = _handle(request, lambda: created.append(1) or "saved")
    assert isinstance(result, HttpResponse) and result.url == "/ailleurs/"
    assert created == []


def test_a_token_of_another_user_is_a_replay(world):
    owner = _request(world.user("accueil", facility=world.ehpad))
    token = issue_form_token(owner)
    # Even copied into the other user's session, the row is bound to its owner.
    other = _request(world.user("accueil", facility=world.ehpad))
    other.session[TOKENS_KEY] = [token]
    assert consume_form_token(other, token) is False
    assert FormToken.objects.filter(token=token).exists()
    assert consume_form_token(owner, token) is True


def test_a_refusal_of_the_service_leaves_the_token_usable(world):
    user = world.user("accueil", facility=world.ehpad)
    request = _request(user)
    token = issue_form_token(request)
    request = _request(user, request.session, {"form_token": token})

    def refused():
        # What a service writes before refusing (the audit row of a forbidden
        # attempt, say) is kept, as it was before the token had a row.
        Unit.objects.create(facility=world.ehpad, name="Tentative notée")
        raise ValidationError("Refusé par le service.")

    assert _handle(request, refused) is None
    assert Unit.objects.filter(name="Tentative notée").exists()
    assert FormToken.objects.filter(token=token).exists()
    assert token in request.session[TOKENS_KEY]
    # The corrected form goes through with the same token, once.
    assert _handle(request, lambda: "saved") == "saved"
    assert not FormToken.objects.filter(token=token).exists()
    assert isinstance(_handle(request, lambda: "again"), HttpResponse)


def test_a_database_refusal_leaves_the_token_usable(world):
    """An IntegrityError (a row created meanwhile) aborts PostgreSQL's transaction:
    the savepoint is rolled back before the token is stored again."""
    user = world.user("accueil", facility=world.ehpad)
    request = _request(user)
    token = issue_form_token(request)
    taken = issue_form_token(request)
    request = _request(user, request.session, {"form_token": token})

    def duplicate():
        Unit.objects.create(facility=world.ehpad, name="Annulée avec le doublon")
        FormToken.objects.create(token=taken, owner="user:0")  # unique: IntegrityError

    assert _handle(request, duplicate) is None
    assert not Unit.objects.filter(name="Annulée avec le doublon").exists()
    assert FormToken.objects.filter(token=token).exists()
    assert _handle(request, lambda: "saved") == "saved"


def test_an_unexpected_error_gives_the_token_back(world):
    user = world.user("accueil", facility=world.ehpad)
    request = _request(user)
    token = issue_form_token(request)
    request = _request(user, request.session, {"form_token": token})

    def broken():
        raise RuntimeError("panne")

    with pytest.raises(RuntimeError):
        _handle(request, broken)
    assert FormToken.objects.filter(token=token).exists()
    assert _handle(request, lambda: "saved") == "saved"


def test_old_tokens_are_pruned(world):
    request = _request(world.user("accueil", facility=world.ehpad))
    old, recent = issue_form_token(request), issue_form_token(request)
    FormToken.objects.filter(token=old).update(created_at=timezone.now() - dt.timedelta(days=2))
    assert prune_form_tokens() == 1
    assert list(FormToken.objects.values_list("token", flat=True)) == [recent]


def test_the_nightly_task_prunes(world):
    from opendui.core.tasks import prune_old_form_tokens
    from opendui.jobs.schedule import SCHEDULE

    request = _request(world.user("accueil", facility=world.ehpad))
    FormToken.objects.filter(token=issue_form_token(request)).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    assert prune_old_form_tokens.call() == {"supprimes": 1}
    entry = next(e for e in SCHEDULE if e.name == "core.form_tokens")
    assert entry.task_path == "opendui.core.tasks.prune_old_form_tokens"


# --- through the pages ------------------------------------------------------------------------


def _person_case(world):
    user = world.user("accueil", facility=world.ehpad)
    url = "/personnes/nouveau/"

    def data(page):
        return {
            "form_token": page.context["form_token"],
            "facility": world.ehpad.pk,
            "unit": "",
            "birth_name": "Bernard",
            "birth_first_names": "Jeanne Alice",
            "used_name": "",
            "used_first_name": "",
            "birth_date": "1938-02-11",
            "sex": "F",
            "birth_place_code": "75056",
        }

    return user, url, data, lambda: Person.objects.filter(birth_name="BERNARD").count()


def _note_case(world):
    user = world.user("educateur", facility=world.ehpad)
    url = f"/transmissions/personne/{world.anne.pk}/nouvelle/?type=transmission"

    def data(page):
        return {
            "form_token": page.context["token"],
            "kind": "transmission",
            "written_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "category": "social",
            "target": "Visite de la fille",
            "data": "Contente",
        }

    return user, url, data, lambda: Note.objects.filter(target="Visite de la fille").count()


def _incident_case(world):
    user = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    url = f"/evenements-indesirables/etablissement/{world.ehpad.pk}/declarer/"

    def data(page):
        occurred = timezone.localtime() - dt.timedelta(hours=2)
        return {
            "form_token": page.context["form_token"],
            "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
            "place": "Chambre",
            "description": "Chute de la personne",
            "severity": "eig",
            "categories": ["4"],
            "persons": [world.anne.pk],
        }

    return user, url, data, lambda: Incident.objects.count()


CASES = [_person_case, _note_case, _incident_case]


@pytest.mark.parametrize("case", CASES, ids=["personne", "transmission", "evenement"])
def test_back_button_then_send_creates_nothing(world, login, client, case):
    user, url, data, count = case(world)
    login(user)
    sent = data(client.get(url))
    first = client.post(url, sent)
    assert first.status_code == 302 and count() == 1
    # The session written back by a request in flight at the same time may still list it.
    session = client.session
    session[TOKENS_KEY] = [*session.get(TOKENS_KEY, []), sent["form_token"]]
    session.save()
    again = client.post(url, sent, follow=True)
    assert again.status_code == 200 and count() == 1
    replayed = "Ce formulaire a déjà été envoyé" in again.content.decode()
    # The person form stops first at the possible duplicate (the person just created).
    assert replayed or again.context.get("candidates")


def test_a_token_of_another_user_creates_nothing(world, login, client):
    user, url, data, count = _person_case(world)
    login(user)
    sent = data(client.get(url))
    client.logout()
    login(world.user("accueil", facility=world.ehpad))
    session = client.session
    session[TOKENS_KEY] = [sent["form_token"]]
    session.save()
    response = client.post(url, sent, follow=True)
    assert count() == 0
    assert "Ce formulaire a déjà été envoyé" in response.content.decode()


@pytest.mark.parametrize("case", CASES, ids=["personne", "transmission", "evenement"])
def test_parallel_submissions_create_one_row(transactional_db, world, login, client, case):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers: parallel requests cannot race there; "
            "run on PostgreSQL (OPENDUI_DATABASE_URL=postgres://...)"
        )
    user, url, data, count = case(world)
    login(user)
    sent = data(client.get(url))
    barrier = threading.Barrier(PARALLEL)
    responses: list = [None] * PARALLEL
    errors: list[BaseException] = []

    def submit(index: int) -> None:
        twin = Client()
        twin.cookies.load({name: morsel.value for name, morsel in client.cookies.items()})
        try:
            barrier.wait(timeout=10)
            responses[index] = twin.post(url, sent)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [r.status_code for r in responses] == [302] * PARALLEL
    assert count() == 1
