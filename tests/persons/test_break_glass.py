from __future__ import annotations

import datetime as dt
import html

from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.models import BreakGlassGrant
from opendui.audit.models import AuditEvent
from opendui.persons.break_glass import (
    MIN_REASON_SIGNIFICANT,
    reason_problem,
    significant_characters,
)

from .helpers import OPEN_URL, SEARCH_URL, break_glass_form, open_break_glass

REASON = "Remplacement de nuit, chute signalée par l'IME"


def test_out_of_scope_record_is_refused_and_audited(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    response = client.get(f"/personnes/{world.chloe.pk}/")
    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert denied.person_ids == [world.chloe.pk]
    assert denied.details["permission"] == "person.view_identity"


def test_break_glass_opens_a_time_limited_flagged_access(world, login):
    nurse = world.user("infirmier", facility=world.ehpad)
    client = login(nurse)
    found = client.get(SEARCH_URL, {"birth_name": "petit", "birth_date": "2012-03-04"})
    body = found.content.decode()
    assert "PETIT Chloé" in body
    assert f"/personnes/{world.chloe.pk}/" not in body  # the form carries no record id

    response = open_break_glass(client, world.chloe, REASON)
    assert response.status_code == 302 and response.url == f"/personnes/{world.chloe.pk}/"
    grant = BreakGlassGrant.objects.get(user=nurse, person=world.chloe)
    assert grant.expires_at > timezone.now()

    page = client.get(f"/personnes/{world.chloe.pk}/")
    assert page.status_code == 200
    assert "Accès exceptionnel" in page.content.decode()
    view = AuditEvent.objects.filter(action="person.view").latest("seq")
    assert view.break_glass is True and view.reason == REASON

    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(f"/personnes/{world.chloe.pk}/").status_code == 403


def test_reason_is_mandatory(world, login):
    client = login(world.user("medecin", facility=world.ehpad))
    open_break_glass(client, world.chloe, "urgence")
    assert not BreakGlassGrant.objects.exists()
    assert client.get(f"/personnes/{world.chloe.pk}/").status_code == 403


def test_a_raw_record_id_opens_nothing(world, login):
    """The former grant URL took any id of the organisation, without the search."""
    client = login(world.user("infirmier", facility=world.ehpad))
    client.post(f"/personnes/{world.chloe.pk}/acces-exceptionnel/", {"reason": REASON})
    client.post(OPEN_URL, {"person": world.chloe.pk, "reason": REASON})
    assert not BreakGlassGrant.objects.exists()
    assert client.get(f"/personnes/{world.chloe.pk}/").status_code == 403


def test_the_server_runs_the_search_again(world, login):
    """A token is honoured only with a search that finds its record, for its holder."""
    nurse = world.user("infirmier", facility=world.ehpad)
    client = login(nurse)
    chloe = break_glass_form(client, world.chloe)
    other_search = break_glass_form(client, world.anne)
    refusals = [
        {**chloe, "birth_name": "MARTIN"},  # the search of someone else
        {**chloe, "birth_date": "2012-03-05"},
        {**other_search, "token": chloe["token"]},  # a search that does not find Chloé
        {**chloe, "token": chloe["token"][:-2] + "xx"},  # a made-up token
        {**chloe, "token": ""},
    ]
    for data in refusals:
        response = client.post(OPEN_URL, {**data, "reason": REASON})
        assert response.status_code == 302 and response.url.startswith(SEARCH_URL)
    assert not BreakGlassGrant.objects.exists()

    # Another user cannot use the nurse's token.
    colleague = Client()
    colleague.force_login(world.user("medecin", facility=world.ehpad))
    assert colleague.post(OPEN_URL, {**chloe, "reason": REASON}).status_code == 302
    assert not BreakGlassGrant.objects.exists()


def test_an_expired_token_is_refused(world, login, monkeypatch):
    from opendui.persons import services

    client = login(world.user("infirmier", facility=world.ehpad))
    data = break_glass_form(client, world.chloe)
    monkeypatch.setattr(services, "BREAK_GLASS_TOKEN_MAX_AGE", -1)
    response = client.post(OPEN_URL, {**data, "reason": REASON}, follow=True)
    assert "refaites la recherche" in html.unescape(response.content.decode())
    assert not BreakGlassGrant.objects.exists()


def test_roles_without_break_glass_and_other_organisations_are_refused(world, login):
    educator_client = login(world.user("educateur", facility=world.ime))
    assert educator_client.get(SEARCH_URL).status_code == 403
    assert educator_client.post(OPEN_URL, {"reason": REASON}).status_code == 403
    nurse_client = Client()
    nurse_client.force_login(world.user("infirmier", facility=world.ehpad))
    # Another organisation's person is never found, so never opened.
    page = nurse_client.get(SEARCH_URL, {"birth_name": "DURAND", "birth_date": "1940-05-17"})
    assert page.context["results"] == []
    assert not BreakGlassGrant.objects.exists()


def test_searching_reaches_only_the_organisations_where_the_role_grants_it(world, login):
    """An educator of the other organisation who is a nurse in world.og searches world.og."""
    nurse = world.user("infirmier", facility=world.ehpad)
    world.assign(nurse, "educateur", facility=world.other)
    client = login(nurse)
    page = client.get(SEARCH_URL, {"birth_name": "DURAND", "birth_date": "1940-05-17"})
    assert page.context["results"] == []


# --- the reason rule -------------------------------------------------------------------------


def test_empty_looking_reasons_are_refused_with_a_french_message(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    for reason in ["\u200b" * 20, "." * 15, "- - - - - - - - - - - - - - - -", "!!!???" * 5]:
        response = client.post(
            OPEN_URL, {**break_glass_form(client, world.chloe), "reason": reason}, follow=True
        )
        assert "15 lettres ou chiffres au moins" in html.unescape(response.content.decode())
    assert not BreakGlassGrant.objects.exists()
    open_break_glass(client, world.chloe, "Chute à 3 h 20, IDE A")  # 14 letters and digits
    assert not BreakGlassGrant.objects.exists()
    open_break_glass(client, world.chloe, "Chute à 3 h 20, IDE AS")  # 15
    assert BreakGlassGrant.objects.get().reason == "Chute à 3 h 20, IDE AS"


SIGNIFICANT = st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No"])
NOISE = st.characters(
    categories=[
        "Zs",
        "Zl",
        "Zp",
        "Pc",
        "Pd",
        "Ps",
        "Pe",
        "Po",
        "Sm",
        "Sc",
        "Sk",
        "So",
        "Cf",
        "Cc",
        "Mn",
        "Me",
        "Mc",
    ]
)


@given(st.lists(st.tuples(SIGNIFICANT, st.text(NOISE, max_size=3)), max_size=40), st.text(NOISE))
def test_only_letters_and_digits_count_in_a_reason(pieces, prefix):
    text = prefix + "".join(letter + noise for letter, noise in pieces)
    assert significant_characters(text) == len(pieces)
    assert (reason_problem(text) is None) is (len(pieces) >= MIN_REASON_SIGNIFICANT)
