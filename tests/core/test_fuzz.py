"""Hostile input on every page and the main forms: never an HTTP 500, nothing half-written.

Every URL pattern (the list of tests/core/test_url_walk.py) is opened by a user allowed to
see it, with the query parameters the pages read set to hostile values: huge and negative
integers, dates at the ends of the calendar, garbage, unicode, NUL, empty. The main
creation forms are then posted with hypothesis-generated hostile values. Run on SQLite
and PostgreSQL: their overflows differ (SQLite's 64-bit parameters, PostgreSQL's bigint
OFFSET and integer columns).

The test client re-raises a view's exception, so a 500 fails the test with its traceback.
"""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.core.test_fields import _project_forms
from tests.core.test_url_walk import ALL_URLS, PUBLIC, row_counts, url_for

# Parameters read by the pages (grep request.GET), plus every form field name: the
# filter forms are bound to request.GET.
READ_PARAMS = [
    "page",
    "date",
    "jour",
    "poste",
    "unite",
    "quand",
    "liste",
    "type",
    "statut",
    "etat",
    "mois",
    "premiere",
    "nombre",
    "annee",
    "personne",
    "residents",
    "next",
    "q",
    "semaine",
    "variante_file_active",
]
FORM_PARAMS = sorted({name for cls in _project_forms() for name in cls.base_fields} - {"password"})
PARAMS = [*READ_PARAMS, *(n for n in FORM_PARAMS if n not in READ_PARAMS)]

HOSTILE = [
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0000-00-00",
    "2026-02-30",
    "9999-12",
    "0001-01",
    "",
    " ",
    "²",
    "٣",
    "\x00",
    "nul\x00byte",
    "garbage",
    "1e309",
    "NaN",
    "' OR 1=1 --",
    "é" * 300,
]
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.text(max_size=20),
    st.dates().map(str),
)

# The main creation forms: those shown by a GET of their URL, and those posted to a URL of
# their own from another page (named with their form class, module:Class).
FORMS = {
    "persons:create": None,
    "incidents:declare": None,
    "agenda:create": None,
    "notes:create": None,
    "notes:team_create": None,
    "stays:request_create": None,
    "evaluations:aggir_new": None,
    "organisations:facility_create": None,
    "evaluations:evaluation_start": "opendui.evaluations.forms:StartEvaluationForm",
    "stays:absence_add": "opendui.stays.forms:AbsenceForm",
    "persons:entourage_related": "opendui.persons.forms_entourage:RelatedPersonForm",
    "persons:entourage_consent": "opendui.persons.forms_entourage:ConsentForm",
}


@pytest.fixture
def clients(world) -> list[Client]:
    """Logged-in clients, the most widely allowed first: a user holding the roles of every
    kind of page (management, care, reception, administration), then single-role users
    for the pages a mixture of roles is refused (a role's own pages)."""
    everything = world.user("directeur", organisation=world.og)
    for role in ("admin", "dpo", "identitovigilance"):
        world.assign(everything, role, organisation=world.og)
    for role in ("chef-de-service", "accueil", "infirmier", "educateur", "medecin"):
        world.assign(everything, role, facility=world.ehpad)
    users = [
        everything,
        world.user("admin"),
        world.user("educateur", facility=world.ehpad),
        world.user("infirmier", facility=world.ehpad),
        world.user("accueil", facility=world.ehpad),
    ]
    result = []
    for user in users:
        client = Client()
        client.force_login(user)
        result.append(client)
    return result


@pytest.fixture(autouse=True)
def _one_object_each(monkeypatch):
    """test_url_walk's builders create an object per call (a fresh world per URL there);
    here one world serves every URL, so each builder's object is made once and reused
    (a second draft project of the same stay would break a unique constraint)."""
    from tests.core import test_url_walk as walk

    cache: dict[tuple, object] = {}
    builders = {"incident_of", "action_of", "grappe_of", "member_of", "milestone_of"}
    for name, function in vars(walk).copy().items():
        own = name.startswith("_") and getattr(function, "__module__", "") == walk.__name__
        if callable(function) and (name in builders or own):

            def memoized(*args, _function=function, _name=name):
                key = (_name, *(getattr(a, "pk", id(a)) for a in args))
                if key not in cache:
                    cache[key] = _function(*args)
                return cache[key]

            monkeypatch.setattr(walk, name, memoized)


def _allowed(clients: list[Client], url: str) -> Client:
    """The first client not refused the page (the first one when all are)."""
    for client in clients:
        if client.get(url).status_code != 403:
            return client
    return clients[0]


def _pages(world, clients) -> list[tuple[str, Client]]:
    pages = []
    for name in ALL_URLS:
        if name in PUBLIC or name in {"accounts:logout"}:
            continue
        url = url_for(name, world)
        pages.append((url, _allowed(clients, url)))
    return pages


def test_every_page_with_hostile_query_parameters_never_answers_500(world, clients):
    pages = _pages(world, clients)
    assert len(pages) > 100
    # Every page, every read parameter at once, with each kind of hostile value.
    for url, client in pages:
        for value in ("99999999999999999999", "9999-12-31", "0001-01-01", "\x00"):
            response = client.get(url, dict.fromkeys(PARAMS, value))
            assert response.status_code < 500, (url, value)

    # Then hypothesis mixes them: a few parameters, each with its own value.
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        page=st.sampled_from(pages),
        params=st.dictionaries(st.sampled_from(PARAMS), hostile, min_size=1, max_size=4),
    )
    def check(page, params):
        url, client = page
        assert client.get(url, params).status_code < 500, (url, params)

    check()


def test_every_url_posted_empty_never_answers_500(world, clients):
    """A POST that leaves every field out (a hand-made request) is refused cleanly:
    forms bound with `request.POST or None` were unbound on such a POST (core.params.posted)."""
    for url, client in _pages(world, clients):
        response = client.post(url, {})
        assert response.status_code < 500, url


def _token(client: Client, url: str, shown_there: bool) -> str:
    """A fresh creation token for `url` (forms posted from another page have none)."""
    if not shown_there:
        return ""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context.get("form_token") or response.context.get("token") or ""


def _field_names(client: Client, url: str, form_class: str | None) -> list[str]:
    if form_class is None:
        form = client.get(url).context["form"]
        return [n for n in form.fields if n != "form_token"]
    module, name = form_class.split(":")
    return list(getattr(importlib.import_module(module), name).base_fields)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_main_forms_posted_with_hostile_values_never_answer_500_nor_half_write(
    world, clients, name
):
    url = url_for(name, world)
    client = _allowed(clients, url) if FORMS[name] is None else clients[0]
    field_names = _field_names(client, url, FORMS[name])
    # The form's view must let this client in, or the hostile values never reach the form.
    assert client.post(url, {}).status_code != 403, url

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({n: hostile for n in field_names}))
    # Unicode digits pass str.isdigit yet int() refuses them: always tried, not left to chance.
    @example({n: "²" for n in field_names})
    def check(data):
        token = _token(client, url, FORMS[name] is None)
        before = row_counts()
        response = client.post(url, {**data, "form_token": token})
        assert response.status_code < 500, (url, data)
        if response.status_code != 302:  # refused: nothing written at all
            assert row_counts() == before, (url, data)

    check()
