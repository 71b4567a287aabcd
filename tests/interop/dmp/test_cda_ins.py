"""The INS of `recordTarget`: the CDA generator applies the one matricule rule of
persons.ins (Corsica's 2A/2B in positions 6-7, the control key), not a pattern of its own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from opendui.interop.dmp.cda import CdaError, build_cda
from opendui.persons.ins import control_key, matricule_problem
from tests.interop.dmp import samples

NS = {"h": "urn:hl7-org:v3"}


def _ins_of(xml: bytes) -> str:
    return etree.fromstring(xml).find("h:recordTarget/h:patientRole/h:id", NS).get("extension")


@pytest.mark.parametrize(
    "matricule",
    [
        "297022A02077878",  # national test identity born in Corse-du-Sud (2A)
        "160012B02077713",  # national test identity born in Haute-Corse (2B)
        "248039263001064",
    ],
)
def test_national_test_identities_are_accepted(matricule):
    assert _ins_of(build_cda(samples.document(patient=samples.patient(ins=matricule)))) == (
        matricule
    )


@pytest.mark.parametrize(
    "matricule",
    [
        "29702A202077878",  # a letter in position 6 (the old pattern's place for it)
        "297022C02077878",  # 2C is no department
        "297022A02077879",  # wrong control key
        "248039263001065",  # wrong control key
        "2480392630010",  # too short
    ],
)
def test_invalid_matricules_are_refused_in_french(matricule):
    with pytest.raises(CdaError, match="matricule INS"):
        build_cda(samples.document(patient=samples.patient(ins=matricule)))


@st.composite
def valid_matricules(draw) -> str:
    """Matricules of every structure persons.ins admits, with their control key."""
    sex = draw(st.sampled_from("123478"))
    year = f"{draw(st.integers(0, 99)):02d}"
    month = f"{draw(st.integers(1, 12)):02d}"
    department = draw(
        st.one_of(
            st.sampled_from(["2A", "2B", "99", "97", "98"]),
            st.integers(1, 95).map(lambda n: f"{n:02d}"),
        )
    )
    commune = f"{draw(st.integers(0, 999)):03d}"
    order = f"{draw(st.integers(1, 999)):03d}"
    body = sex + year + month + department + commune + order
    return f"{body}{control_key(body):02d}"


@given(matricule=valid_matricules())
@settings(max_examples=60, deadline=None)
def test_every_valid_matricule_goes_into_the_record_target(matricule):
    assert matricule_problem(matricule) is None  # the strategy keeps to the rule
    xml = build_cda(samples.document(patient=samples.patient(ins=matricule)))
    assert _ins_of(xml) == matricule
