"""Pure parsing of Annuaire Santé Bundles (golden Bundles written as the Annuaire's
FHIR v2 API publishes them, and identifiers with hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.annuaire import parsing
from opendui.annuaire.parsing import BundleError, Mailbox
from opendui.core.identifiers import luhn_check_digit

R256 = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
R38 = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"


def mss(address, kind="PER", red=False, **meta):
    sub = [{"url": "type", "valueCodeableConcept": {"coding": [{"code": kind}]}}]
    sub += [{"url": k, "valueString": v} for k, v in meta.items()]
    sub.append({"url": "listeRouge", "valueBoolean": red})
    return {
        "extension": [
            {"url": parsing.EMAIL_TYPE_URL, "valueCoding": {"system": R256, "code": "MSSANTE"}},
            {"url": parsing.MAILBOX_METADATA_URL, "extension": sub},
        ],
        "system": "email",
        "value": address,
    }


GOLDEN = {
    "resourceType": "Bundle",
    "type": "searchset",
    "total": 1,
    "link": [
        {"relation": "self", "url": "https://annuaire.example/fhir/v2/Practitioner?family=x"},
        {"relation": "next", "url": "https://annuaire.example/fhir/v2/Practitioner?page=2"},
    ],
    "entry": [
        {
            "resource": {
                "resourceType": "Practitioner",
                "id": "003-1234",
                "active": True,
                "identifier": [
                    {
                        "type": {"coding": [{"code": "IDNPS"}]},
                        "system": "urn:oid:1.2.250.1.71.4.2.1",
                        "value": "810100001014",
                    },
                    {
                        "type": {"coding": [{"code": "RPPS"}]},
                        "system": "https://rpps.esante.gouv.fr",
                        "value": "10100001014",
                    },
                ],
                "name": [
                    {"use": "official", "family": "MOREAU", "given": ["Philippe"], "suffix": ["DR"]}
                ],
                "telecom": [
                    mss("philippe.moreau@MEDECIN.mssante.fr"),
                    {"system": "email", "value": "ordinaire@example.org"},
                    mss("secret@medecin.mssante.fr", red=True),
                ],
                "qualification": [
                    {"code": {"coding": [{"system": G15, "code": "10", "display": "Médecin"}]}},
                    {"code": {"coding": [{"system": R38, "code": "SM26", "display": "Gériatrie"}]}},
                ],
            },
        },
        {
            "resource": {
                "resourceType": "PractitionerRole",
                "id": "role-1",
                "active": True,
                "practitioner": {"reference": "Practitioner/003-1234"},
                "organization": {"reference": "Organization/org-1"},
                "telecom": [
                    {"system": "phone", "value": "02 47 00 40 10"},
                    mss("cabinet@msp.mssante.fr", "CAB", description="Secrétariat"),
                ],
            },
            "search": {"mode": "include"},
        },
        {
            "resource": {
                "resourceType": "Organization",
                "id": "org-1",
                "identifier": [{"system": "https://finess.esante.gouv.fr", "value": "370100034"}],
                "name": "Maison de santé du Chinonais",
                "address": [{"line": ["8 rue Voltaire"], "postalCode": "37500", "city": "Chinon"}],
                "telecom": [mss("msp@msp.mssante.fr", "ORG", service="Accueil")],
            },
            "search": {"mode": "include"},
        },
    ],
}


def test_golden_practitioner_bundle():
    page = parsing.parse_bundle(GOLDEN)
    assert page.next_url == "https://annuaire.example/fhir/v2/Practitioner?page=2"
    assert page.total == 1
    [record] = parsing.practitioners_of([page])
    assert record.idnat_ps == "810100001014"
    assert record.rpps == "10100001014"
    assert record.adeli == ""
    assert (record.civility, record.last_name, record.first_name) == ("DR", "MOREAU", "Philippe")
    assert (record.profession_code, record.profession_label) == ("10", "Médecin")
    assert (record.specialty_code, record.specialty_label) == ("SM26", "Gériatrie")
    # The domain is lower-cased; the ordinary e-mail and the red-listed mailbox are left out;
    # the role's cabinet mailbox follows the personal one.
    assert record.mailboxes == (
        Mailbox("philippe.moreau@medecin.mssante.fr", "PER"),
        Mailbox("cabinet@msp.mssante.fr", "CAB", "Secrétariat"),
    )
    assert record.mssante_addresses == (
        "philippe.moreau@medecin.mssante.fr",
        "cabinet@msp.mssante.fr",
    )
    assert (record.phone, record.address, record.postal_code, record.city) == (
        "02 47 00 40 10",
        "8 rue Voltaire",
        "37500",
        "Chinon",
    )
    assert (record.structure_name, record.structure_finess) == (
        "Maison de santé du Chinonais",
        "370100034",
    )
    [organisation] = parsing.organisations_of([page])
    assert organisation.finess == "370100034"
    assert organisation.mailboxes == (Mailbox("msp@msp.mssante.fr", "ORG", service="Accueil"),)


def test_profession_from_role_when_no_qualification():
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "resource": {
                    "resourceType": "Practitioner",
                    "id": "p",
                    "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "0379100012"}],
                    "name": [{"family": "BERNARD", "given": ["Hugo", "Jean"], "prefix": ["M."]}],
                }
            },
            {
                "resource": {
                    "resourceType": "PractitionerRole",
                    "id": "r",
                    "practitioner": {"reference": "Practitioner/p"},
                    "code": [
                        {"coding": [{"system": G15, "code": "91", "display": "Orthophoniste"}]}
                    ],
                }
            },
        ],
    }
    [record] = parsing.practitioners_of([parsing.parse_bundle(bundle)])
    assert (record.rpps, record.adeli, record.civility) == ("", "379100012", "M")
    assert record.first_name == "Hugo Jean"
    assert (record.profession_code, record.profession_label) == ("91", "Orthophoniste")


def test_practitioner_without_national_identifier_is_left_out():
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": "Practitioner", "id": "x", "name": [{"family": "X"}]}}
        ],
    }
    assert parsing.practitioners_of([parsing.parse_bundle(bundle)]) == []


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "searchset", "total": "beaucoup"},
        {"resourceType": "Bundle", "type": "searchset", "entry": "nope"},
    ],
)
def test_unreadable_answers_raise_bundle_error(data):
    with pytest.raises(BundleError):
        parsing.parse_bundle(data)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_idnat_of_any_valid_rpps_gives_it_back(body):
    rpps = body + luhn_check_digit(body)
    assert parsing.idnat_parts("8" + rpps) == (rpps, "")


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.integers(1, 9))
def test_idnat_with_a_wrong_rpps_key_gives_nothing(body, shift):
    wrong = str((int(luhn_check_digit(body)) + shift) % 10)
    assert parsing.idnat_parts("8" + body + wrong) == ("", "")


@given(st.sampled_from(["37", "2A", "75"]), st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_idnat_of_adeli(department, digits):
    assert parsing.idnat_parts("0" + department + digits) == ("", department + digits)


@given(
    body=st.text(alphabet="0123456789", min_size=10, max_size=10),
    family=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈ -'", min_size=1, max_size=30).filter(
        lambda s: s.strip()
    ),
    given_name=st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèï -", min_size=1, max_size=30),
    civility=st.sampled_from(["DR", "PR", "M", "MME", ""]),
    locals_=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=20).filter(
            lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
        ),
        max_size=3,
        unique=True,
    ),
    kind=st.sampled_from(parsing.MAILBOX_KINDS),
)
def test_what_the_simulator_publishes_is_read_back(
    body, family, given_name, civility, locals_, kind
):
    """A Practitioner as the simulator writes it (the Annuaire's shape) parses back to
    the same identifiers, names, civilité and mailboxes (with their kind)."""
    from opendui.annuaire import simulator

    rpps = body + luhn_check_digit(body)
    row = {
        "id": "p1",
        "rpps": rpps,
        "adeli": "",
        "civility": civility,
        "family": family,
        "given": given_name,
        "profession_code": "60",
        "profession_label": "Infirmier",
        "mailboxes": [
            {"address": f"{local}@infirmier.mssante.fr", "type": kind} for local in locals_
        ],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": simulator.practitioner(row)}],
    }
    [record] = parsing.practitioners_of([parsing.parse_bundle(bundle)])
    assert (record.idnat_ps, record.rpps, record.adeli) == ("8" + rpps, rpps, "")
    assert (record.last_name, record.first_name, record.civility) == (family, given_name, civility)
    assert record.profession_code == "60"
    assert [(m.address, m.kind) for m in record.mailboxes] == [
        (f"{local}@infirmier.mssante.fr", kind) for local in locals_
    ]
