"""Shared fixtures: a small organisation with two facilities, units, and users per role."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.conf import settings
from django.db import connection

from opendui.accounts.models import Assignment, Role, User
from opendui.core.identifiers import luhn_check_digit
from opendui.organisations.models import (
    Couloir,
    Facility,
    FinessCategory,
    LegalStatus,
    ManagingOrganisation,
    Unit,
)
from opendui.persons.models import Person, Sex
from opendui.stays.models import Stay

PASSWORD = "Test-Password-2026!"


def pytest_configure(config) -> None:
    # Production hashing is deliberately slow; tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_sessionstart(session) -> None:
    """Under CI's PostgreSQL pass the suite must really run on PostgreSQL."""
    if os.environ.get("OPENDUI_TEST_REQUIRE_POSTGRES") == "1":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"PostgreSQL demandé mais la base configurée est {engine}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Fail loudly when the configured database cannot be reached."""
    with django_db_blocker.unblock():
        connection.ensure_connection()


def reload_reference_data() -> None:
    """Re-run the data migrations' loaders (a flush empties every table)."""
    import importlib

    from django.apps import apps as global_apps

    for module, function in [
        ("opendui.organisations.migrations.0002_load_finess_categories", "load"),
        ("opendui.accounts.migrations.0002_default_roles", "create_roles"),
        ("opendui.audit.migrations.0002_chain_head_and_append_only_triggers", "create_head"),
    ]:
        getattr(importlib.import_module(module), function)(global_apps, None)


@pytest.fixture(autouse=True)
def _transactional_tests_support(request):
    """Transactional tests (live server) end with a flush: it empties the reference data,
    and it is a DELETE (SQLite) or TRUNCATE (PostgreSQL) that the append-only triggers
    refuse. Reload the data before each such test, and lift the triggers for the flush only."""
    from opendui.audit.triggers import create_triggers, drop_triggers

    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db")
    reload_reference_data()
    create_triggers(connection)
    yield
    drop_triggers(connection)


def valid_finess(body8: str) -> str:
    return body8 + luhn_check_digit(body8)


def valid_siret(body13: str) -> str:
    return body13 + luhn_check_digit(body13)


class World:
    """Hand-built fixture world; attributes are documented where created."""

    def user(self, role_code: str, *, facility=None, unit=None, organisation=None, email=None):
        organisation = organisation or self.og
        user = User.objects.create_user(
            email or f"{role_code}.{User.objects.count()}@test.example",
            PASSWORD,
            first_name="Test",
            last_name=role_code,
        )
        self.assign(user, role_code, facility=facility, unit=unit, organisation=organisation)
        return user

    def assign(self, user, role_code: str, *, facility=None, unit=None, organisation=None):
        """Another current assignment (organisation defaults to the facility's, else og)."""
        organisation = organisation or (facility.organisation if facility else self.og)
        return Assignment.objects.create(
            user=user,
            role=Role.objects.get(code=role_code),
            organisation=organisation,
            facility=facility,
            unit=unit,
            start_date=dt.date(2020, 1, 1),
        )

    def person(self, facility, unit=None, *, birth_name="DUPONT", first_name="Marie", **extra):
        person = Person.objects.create(
            organisation=facility.organisation,
            local_id=f"T{Person.objects.count() + 1:06d}",
            birth_name=birth_name,
            first_name=first_name,
            birth_date=extra.pop("birth_date", dt.date(1940, 5, 17)),
            sex=extra.pop("sex", Sex.FEMALE),
            **extra,
        )
        Stay.objects.create(
            person=person, facility=facility, unit=unit, start_date=dt.date(2024, 1, 1)
        )
        return person


@pytest.fixture
def world(db) -> World:
    """OG 'og' with facilities 'ehpad' (units 'glycines', 'lilas') and 'ime';
    another OG 'other_og' with facility 'other'; persons 'anne' (ehpad/glycines),
    'bruno' (ehpad/lilas), 'chloe' (ime) and 'denis' (other)."""
    w = World()
    w.og = ManagingOrganisation.objects.create(
        name="Association Test",
        finess_ej=valid_finess("75000001"),
        siret=valid_siret("7750000010000"),
        legal_status=LegalStatus.ASSOCIATION,
    )
    w.other_og = ManagingOrganisation.objects.create(
        name="Fondation Autre",
        finess_ej=valid_finess("69000001"),
        siret=valid_siret("7690000010000"),
        legal_status=LegalStatus.FOUNDATION,
    )
    ehpad_cat = FinessCategory.objects.get(code="500")
    ime_cat = FinessCategory.objects.get(code="183")
    w.ehpad = Facility.objects.create(
        organisation=w.og,
        name="EHPAD Les Tilleuls",
        finess_et=valid_finess("75000002"),
        category=ehpad_cat,
        couloir=Couloir.PA,
        capacity_permanent=80,
    )
    w.ime = Facility.objects.create(
        organisation=w.og,
        name="IME Les Sources",
        finess_et=valid_finess("75000003"),
        category=ime_cat,
        couloir=Couloir.PH,
        capacity_permanent=40,
    )
    w.other = Facility.objects.create(
        organisation=w.other_og,
        name="EHPAD Ailleurs",
        finess_et=valid_finess("69000002"),
        category=ehpad_cat,
        couloir=Couloir.PA,
        capacity_permanent=60,
    )
    w.glycines = Unit.objects.create(facility=w.ehpad, name="Les Glycines")
    w.lilas = Unit.objects.create(facility=w.ehpad, name="Les Lilas")
    w.anne = w.person(w.ehpad, w.glycines, birth_name="MARTIN", first_name="Anne")
    w.bruno = w.person(w.ehpad, w.lilas, birth_name="Lefèvre", first_name="Bruno", sex=Sex.MALE)
    w.chloe = w.person(
        w.ime, birth_name="PETIT", first_name="Chloé", birth_date=dt.date(2012, 3, 4)
    )
    w.denis = w.person(w.other, birth_name="DURAND", first_name="Denis", sex=Sex.MALE)
    return w


@pytest.fixture
def nurse(world):
    """EHPAD nurse: sees the persons placed in the EHPAD."""
    return world.user("infirmier", facility=world.ehpad)


@pytest.fixture
def director(world):
    """Organisation-wide director: sees every person of the organisation."""
    return world.user("directeur", organisation=world.og)


@pytest.fixture
def login(client):
    """Log a user in through the real login form, completing the TOTP step (enrolment
    included) the way the user would when their role requires a second factor."""
    import pyotp

    def _login(user, password=PASSWORD):
        response = client.post("/connexion/", {"email": user.email, "password": password})
        assert response.status_code == 302, response.content[:500]
        if response.url == "/connexion/second-facteur/activer/":
            secret = client.get(response.url).context["secret"]
            response = client.post(response.url, {"code": pyotp.TOTP(secret).now()})
        elif response.url == "/connexion/second-facteur/":
            user.refresh_from_db()
            # A code is single-use: after a recent login, take the next time step's code
            # (accepted within the ±1 step drift window).
            import time

            counter = max(int(time.time() // 30), user.totp_last_counter + 1)
            code = pyotp.TOTP(user.totp_secret).generate_otp(counter)
            response = client.post(response.url, {"code": code})
        assert response.status_code == 302
        assert "_auth_user_id" in client.session, "login did not complete"
        return client

    return _login


@pytest.fixture(scope="session")
def simulator_url():
    """The INSi simulator on a free loopback port, for the whole session."""
    from opendui.interop.insi.simulator import serve

    server, thread, address = serve(port=0)
    yield address
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def insi(settings, simulator_url):
    """Point the INSi client at the simulator (which refuses an empty software authorisation)."""
    settings.INSI_ENDPOINT = simulator_url
    settings.INSI_IDAM = "TEST"
    settings.INSI_TIMEOUT = 5
    return simulator_url


@pytest.fixture
def psc_provider():
    """A fresh Pro Santé Connect simulator on a free loopback port (its knobs: acr,
    clock_offset, userinfo_format, rotate_key()), not yet configured in the settings."""
    from opendui.accounts.psc.client import forget_provider_metadata
    from opendui.interop.psc.simulator import Provider, serve

    def start(**knobs):
        server, thread, provider = serve(port=0, provider=Provider(**knobs))
        started.append((server, thread))
        return provider

    started: list = []
    forget_provider_metadata()
    yield start
    forget_provider_metadata()
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def psc(settings, psc_provider):
    """PSC login configured against a simulator (RS256, PSC's discovery path)."""
    provider = psc_provider()
    use_psc_provider(settings, provider)
    return provider


def use_psc_provider(settings, provider, *, discovery: bool = True) -> None:
    """Point the OPENDUI_PSC_* settings at a simulator; `discovery=False` leaves the
    discovery URL empty (the issuer's standard path is used)."""
    settings.PSC_ISSUER = provider.issuer
    settings.PSC_DISCOVERY_URL = provider.discovery_url if discovery else ""
    settings.PSC_CLIENT_ID = provider.client_id
    settings.PSC_CLIENT_SECRET = provider.client_secret
    settings.PSC_SCOPES = "openid scope_all"
    settings.PSC_ACR = "eidas1"
    settings.PSC_TIMEOUT = 5
    settings.PSC_LEEWAY = 120


@pytest.fixture(scope="session")
def dmp_simulator(tmp_path_factory):
    """The loopback DMP (TLS, client certificate required) with a test PKI, for the whole
    session: (server, services URL, test PKI)."""
    from opendui.interop.dmp.simulator import serve
    from opendui.interop.testpki import ensure_test_pki

    pki = ensure_test_pki(tmp_path_factory.mktemp("dmp-pki"))
    server, thread, url = serve(pki_dir=pki.directory)
    yield server, url, pki
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def dmp_service(settings, dmp_simulator):
    """Point the OPENDUI_DMP_* settings at the simulator; its state (to steer: national
    errors, unavailability) is emptied before and after the test."""
    server, url, pki = dmp_simulator
    state = server.simulator.state
    state.reset()
    settings.DMP_ENDPOINT = url
    settings.DMP_CERT_FILE = str(pki.client_cert)
    settings.DMP_KEY_FILE = str(pki.client_key)
    settings.DMP_CA_FILE = str(pki.ca_cert)
    settings.DMP_LPS_ID = "LPS-TEST"
    settings.DMP_HOMOLOGATION = "HOMOLOGATION-TEST"
    settings.DMP_CONNECT_TIMEOUT = 2
    settings.DMP_READ_TIMEOUT = 10
    yield state
    state.reset()


@pytest.fixture(autouse=True)
def _records_in_a_temporary_folder(settings, tmp_path_factory):
    """Person files (storages["records"]) go to a fresh temporary folder in every test,
    never to var/records nor to a bucket named by the environment."""
    import uuid

    location = tmp_path_factory.getbasetemp() / "records" / uuid.uuid4().hex
    settings.STORAGES = {
        **settings.STORAGES,
        "records": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
