"""Who reads a facility's GMP, and where it is offered: facilities for older persons only."""

from __future__ import annotations

import html as htmllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.audit.models import AuditEvent
from opendui.organisations.models import Couloir


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def gmp_url(facility) -> str:
    return f"/evaluations/etablissements/{facility.pk}/gmp/"


@given(st.sampled_from(Couloir.values))
def test_the_gmp_belongs_to_the_older_persons_couloir_only(couloir):
    from opendui.evaluations.rules import gmp_applies

    assert gmp_applies(couloir) is (couloir == "PA")


def test_the_medecin_coordonnateur_reads_the_gmp_of_the_ehpad(world, login):
    """Was 403: the page asked for the facility overview, which the médecin has not."""
    doctor = world.user("medecin", facility=world.ehpad)
    client = login(doctor)
    response = client.get(gmp_url(world.ehpad))
    assert response.status_code == 200
    assert "GIR moyen pondéré – EHPAD Les Tilleuls" in text(response)
    assert AuditEvent.objects.filter(action="evaluation.gmp_view", facility_id=world.ehpad.pk)
    assert gmp_url(world.ehpad) in text(client.get("/"))


@pytest.mark.parametrize("role", ["infirmier", "aide-soignant", "educateur", "accueil"])
def test_other_roles_are_refused_and_get_no_link(world, login, role):
    client = login(world.user(role, facility=world.ehpad))
    assert client.get(gmp_url(world.ehpad)).status_code == 403
    assert gmp_url(world.ehpad) not in text(client.get("/"))


def test_gmp_links_only_for_older_persons_facilities(world, login):
    """A director of an EHPAD and an IME: one GMP link, the EHPAD's (the IME had one)."""
    director = world.user("directeur", facility=world.ehpad)
    world.assign(director, "directeur", facility=world.ime)
    doctor = world.user("medecin", facility=world.ehpad)
    world.assign(doctor, "medecin", facility=world.ime)
    for user in (director, doctor):
        html = text(login(user).get("/"))
        assert gmp_url(world.ehpad) in html
        assert gmp_url(world.ime) not in html


def test_the_gmp_page_of_a_facility_for_disabled_persons_computes_nothing(world, login):
    client = login(world.user("directeur", facility=world.ime))
    response = client.get(gmp_url(world.ime))
    assert response.status_code == 200
    assert response.context["gmp"] is None
    html = text(response)
    assert "concerne les établissements pour personnes âgées" in html
    assert "Répartition par GIR" not in html
    assert not AuditEvent.objects.filter(action="evaluation.gmp_view").exists()
