"""Hostile input on the directory pages: never an HTTP 500, nothing half-written."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.directory.models import ExternalProfessional, PersonProfessional

HOSTILE = [
    "9223372036854775808",
    "-99999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "",
    "\x00",
    "nul\x00byte",
    "' OR 1=1 --",
    "é" * 300,
    "p9223372036854775808",
    "s-1",
]
FIELDS = [
    "q",
    "city",
    "profession",
    "kind",
    "inactive",
    "page",
    "role",
    "entry",
    "start_date",
    "note",
    "replace_current_gp",
    "last_name",
    "rpps",
    "adeli",
    "phone",
    "email",
    "mssante_addresses",
    "structure",
    "postal_code",
    "profession_code",
    "expected_version",
    "reason",
    "end_date",
    "end_reason",
    "finess",
    "siret",
    "name",
]
hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30), st.integers().map(str))


def _urls(world, doctor, pharmacy) -> list[str]:
    link = PersonProfessional.objects.create(
        person=world.anne, professional=doctor, role="autre", start_date=dt.date(2025, 1, 1)
    )
    return [
        reverse("directory:list"),
        reverse("directory:structures"),
        reverse("directory:professional_create"),
        reverse("directory:structure_create"),
        reverse("directory:professional_edit", args=[doctor.pk]),
        reverse("directory:professional_deactivate", args=[doctor.pk]),
        reverse("directory:structure_edit", args=[pharmacy.pk]),
        reverse("directory:structure_deactivate", args=[pharmacy.pk]),
        reverse("directory:person", args=[world.anne.pk]),
        reverse("directory:person_add", args=[world.anne.pk]),
        reverse("directory:person_end", args=[world.anne.pk, link.pk]),
    ]


def test_hostile_parameters_and_posts_never_answer_500(world, client, secretary, doctor, pharmacy):
    client.force_login(secretary)
    urls = _urls(world, doctor, pharmacy)
    professionals = ExternalProfessional.objects.count()
    for url in urls:
        for value in ("9223372036854775808", "9999-12-31", "\x00", "é" * 300):
            assert client.get(url, dict.fromkeys(FIELDS, value)).status_code < 500, (url, value)
            assert client.post(url, dict.fromkeys(FIELDS, value)).status_code < 500, (url, value)
        assert client.post(url, {}).status_code < 500, url

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        url=st.sampled_from(urls),
        data=st.dictionaries(st.sampled_from(FIELDS), hostile, min_size=1, max_size=6),
    )
    def check(url, data):
        assert client.get(url, data).status_code < 500, (url, data)
        assert client.post(url, data).status_code < 500, (url, data)

    check()
    # No creation without the one-time token of a form shown to the user.
    assert ExternalProfessional.objects.count() == professionals
    assert PersonProfessional.objects.count() == 1
