"""VIHF and XAdES: signed by the establishment certificate, refused when anything is off."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from opendui.interop import testpki
from opendui.interop.dmp.credentials import Credentials
from opendui.interop.dmp.errors import DmpConfigurationError
from opendui.interop.dmp.vihf import (
    NS_SAML,
    LpsIdentity,
    VihfError,
    build_vihf,
    verify_vihf,
)
from opendui.interop.dmp.xades import digest, sign_submission, verify_submission_signature

from .wire_support import patient, professional

LPS = LpsIdentity("OpenDUI", "0.1.0", "LPS-TEST-1", "HOMOLOGATION-TEST-1")
NS = {"saml2": NS_SAML}


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return testpki.ensure_test_pki(tmp_path_factory.mktemp("dmp-pki-sig"))


@pytest.fixture(scope="session")
def credentials(pki):
    return Credentials.from_files(pki.client_cert, pki.client_key)


def vihf(credentials, **changes):
    return build_vihf(
        professional(**changes),
        patient(),
        structure_id="1010000016",
        lps=LPS,
        credentials=credentials,
    )


def embedded(element):
    """The assertion as the DMP receives it: inside a SOAP header."""
    header = etree.fromstring(
        b'<soap:Header xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><wsse:Security '
        b'xmlns:wsse="urn:x"/></soap:Header>'
    )
    header[0].append(etree.fromstring(etree.tostring(element)))
    return header[0][0]


def test_the_vihf_is_signed_and_carries_every_attribute(pki, credentials):
    element = vihf(credentials)
    claims = verify_vihf(embedded(element), pki.ca_cert.read_bytes())
    assert claims.idnat == "810001234567"
    assert claims.subject_name == "Claire MARTIN"
    assert claims.structure_id == "1010000016"
    assert claims.sector == "SA17^1.2.250.1.71.4.2.4"
    assert claims.roles == (("60", "1.2.250.1.71.1.2.7"),)
    assert claims.authentication_mode == "INDIRECTE_RENFORCEE"
    assert (claims.patient_ins, claims.patient_oid) == ("248039263001064", "1.2.250.1.213.1.4.10")
    assert claims.purpose == "normal"
    assert claims.lps == LPS
    assert claims.issuer == credentials.subject_dn
    assert "OU=1010000016" in claims.issuer and "O=EHPAD DEMONSTRATION OPENDUI" in claims.issuer
    names = {a.get("Name") for a in element.iterfind(".//saml2:Attribute", NS)}
    assert {"VIHF_Version", "Ressource_URN", "LPS_ID_HOMOLOGATION_DMP"} <= names
    method = element.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureMethod")
    assert method.get("Algorithm").endswith("rsa-sha256")


def test_a_direct_psc_login_is_declared_as_such(pki, credentials):
    element = vihf(credentials, authentication_mode="DIRECTE")
    assert verify_vihf(element, pki.ca_cert.read_bytes()).authentication_mode == "DIRECTE"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("saml2:Subject/saml2:NameID", "810000000000"),
        (
            "saml2:AttributeStatement/saml2:Attribute[@Name='Identifiant_Structure']/saml2:AttributeValue",
            "1690000013",
        ),
    ],
)
def test_a_tampered_vihf_is_refused(pki, credentials, path, value):
    element = vihf(credentials)
    element.find(path, NS).text = value
    with pytest.raises(VihfError) as refused:
        verify_vihf(element, pki.ca_cert.read_bytes())
    assert "altéré" in refused.value.message_fr


def test_an_expired_vihf_is_refused(pki, credentials):
    element = vihf(credentials)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with pytest.raises(VihfError, match="expiré"):
        verify_vihf(element, pki.ca_cert.read_bytes(), now=later)


def test_a_vihf_signed_by_an_expired_certificate_is_refused(pki, tmp_path):
    ca_cert, ca_key = testpki.load_ca(pki)
    now = dt.datetime.now(dt.UTC)
    cert, key = testpki.issue(
        ca_cert,
        ca_key,
        testpki.establishment_name("EHPAD X", "690000013"),
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(minutes=1),
    )
    expired = Credentials.from_files(*testpki.write_pair(tmp_path, "expired", cert, key))
    with pytest.raises(VihfError, match="certificat de signature est expiré"):
        verify_vihf(vihf(expired), pki.ca_cert.read_bytes())


def test_a_vihf_signed_under_an_unknown_authority_is_refused(pki, tmp_path):
    ca_cert, ca_key = testpki.make_ca("AUTORITE INCONNUE")
    cert, key = testpki.issue(ca_cert, ca_key, testpki.establishment_name("EHPAD X", "690000013"))
    stranger = Credentials.from_files(*testpki.write_pair(tmp_path, "stranger", cert, key))
    with pytest.raises(VihfError, match="autorité de confiance"):
        verify_vihf(vihf(stranger), pki.ca_cert.read_bytes())


def test_a_vihf_without_a_required_attribute_is_refused(pki, credentials):
    from signxml import XMLSigner

    element = vihf(credentials)
    element.remove(element.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    statement = element.find("saml2:AttributeStatement", NS)
    statement.remove(statement.find("saml2:Attribute[@Name='LPS_ID']", NS))
    resigned = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        element,
        key=credentials.private_key,
        cert=[credentials.certificate],
        reference_uri=f"#{element.get('ID')}",
        id_attribute="ID",
    )
    with pytest.raises(VihfError, match="LPS_ID"):
        verify_vihf(resigned, pki.ca_cert.read_bytes())


def test_no_vihf_for_a_professional_without_national_identifier(credentials):
    with pytest.raises(DmpConfigurationError, match="identifiant national"):
        vihf(credentials, idnat="")
    with pytest.raises(DmpConfigurationError, match="profession"):
        vihf(credentials, profession=None)


def test_the_xades_manifest_covers_the_set_and_each_document(pki, credentials):
    cda = b"<ClinicalDocument/>"
    signature = sign_submission(
        "2.25.1", [("2.25.2", cda)], signature_id="sig-2.25.3", credentials=credentials
    )
    manifest = verify_submission_signature(signature, pki.ca_cert.read_bytes())
    assert manifest.digests == {"2.25.1": digest(b"2.25.1"), "2.25.2": digest(cda)}
    root = etree.fromstring(signature)
    types = {r.get("Type") for r in root.iterfind("{*}SignedInfo/{*}Reference")}
    assert types == {
        "http://www.w3.org/2000/09/xmldsig#Manifest",
        "http://uri.etsi.org/01903/v1.1.1#SignedProperties",
    }
    assert root.find(".//{http://uri.etsi.org/01903/v1.1.1#}SigningTime") is not None


def test_a_changed_manifest_digest_breaks_the_xades_signature(pki, credentials):
    signature = sign_submission(
        "2.25.1", [("2.25.2", b"<a/>")], signature_id="sig-1", credentials=credentials
    )
    forged = signature.replace(digest(b"<a/>").encode(), digest(b"<b/>").encode())
    with pytest.raises(VihfError, match="altéré"):
        verify_submission_signature(forged, pki.ca_cert.read_bytes())
