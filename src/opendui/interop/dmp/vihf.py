"""The VIHF: the SAML 2.0 assertion that tells the DMP who acts, for whom, from where.

Every DMP call carries one in `wsse:Security`, built for that call from the acting
professional (`ProfessionalIdentity`), the person (`PatientIdentity`), the facility's
structure identifier and the software's identification (`LpsIdentity`). The facility
vouches for the professional, so the assertion is signed by the establishment
certificate: enveloped XMLDSig, exclusive c14n, RSA-SHA256, with signxml. Exclusive
c14n keeps the signature valid once the assertion is moved into the SOAP header.

Attribute names and shapes: VIHF 3.0 as the ANS reference clients send it
(`services_socles.md` §3.2). `verify_vihf` is the DMP's side, used by the simulator.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature as BadCertificateSignature
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod
from signxml.exceptions import InvalidInput, InvalidSignature

from .credentials import Credentials
from .document import PatientIdentity
from .errors import DmpConfigurationError

if TYPE_CHECKING:  # a plain dataclass; importing it at run time would load Django models
    from opendui.accounts.national_identity import ProfessionalIdentity

NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_HL7 = "urn:hl7-org:v3"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

ATTR_VERSION = "VIHF_Version"
ATTR_STRUCTURE = "Identifiant_Structure"
ATTR_SECTOR = "Secteur_Activite"
ATTR_SUBJECT_ID = "urn:oasis:names:tc:xspa:1.0:subject:subject-id"
ATTR_ROLE = "urn:oasis:names:tc:xacml:2.0:subject:role"
ATTR_AUTH_MODE = "Authentification_Mode"
ATTR_RESOURCE_ID = "urn:oasis:names:tc:xacml:2.0:resource:resource-id"
ATTR_RESOURCE_URN = "Ressource_URN"
ATTR_PURPOSE = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"
ATTR_LPS_NAME = "LPS_Nom"
ATTR_LPS_VERSION = "LPS_Version"
ATTR_LPS_ID = "LPS_ID"
ATTR_LPS_HOMOLOGATION = "LPS_ID_HOMOLOGATION_DMP"
REQUIRED_ATTRIBUTES = (
    ATTR_VERSION,
    ATTR_STRUCTURE,
    ATTR_SECTOR,
    ATTR_SUBJECT_ID,
    ATTR_ROLE,
    ATTR_AUTH_MODE,
    ATTR_RESOURCE_ID,
    ATTR_RESOURCE_URN,
    ATTR_PURPOSE,
    ATTR_LPS_NAME,
    ATTR_LPS_VERSION,
    ATTR_LPS_ID,
    ATTR_LPS_HOMOLOGATION,
)
VIHF_VERSION = "3.0"
RESOURCE_URN = "urn:dmp"
PURPOSE_SYSTEM = "1.2.250.1.213.1.1.4.248"
PURPOSE_DISPLAY = {"normal": "Accès normal"}
AUTH_MODES = ("DIRECTE", "INDIRECTE", "INDIRECTE_RENFORCEE")
ISSUER_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
AUTHN_CONTEXT_TLS = "urn:oasis:names:tc:SAML:2.0:ac:classes:TLS"
LIFETIME = dt.timedelta(minutes=10)
CLOCK_SKEW = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class LpsIdentity:
    """The software as the DMP registered it: name, version, LPS id, DMP homologation number."""

    name: str
    version: str
    lps_id: str
    homologation: str


@dataclass(frozen=True)
class VihfClaims:
    """What a verified VIHF says."""

    issuer: str
    idnat: str
    subject_name: str
    structure_id: str
    sector: str
    roles: tuple[tuple[str, str], ...]  # (code, code system)
    authentication_mode: str
    patient_ins: str
    patient_oid: str
    purpose: str
    lps: LpsIdentity


class VihfError(Exception):
    """A VIHF the DMP must refuse (French message)."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _saml(parent, tag: str, text: str | None = None, **attrib) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_SAML}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _attribute(statement, name: str, *values) -> None:
    attribute = _saml(statement, "Attribute", Name=name)
    for value in values:
        holder = _saml(attribute, "AttributeValue")
        if isinstance(value, str):
            holder.text = value
        else:
            holder.append(value)


def _coded(tag: str, code: str, system: str, display: str = "") -> etree._Element:
    element = etree.Element(f"{{{NS_HL7}}}{tag}", nsmap={None: NS_HL7, "xsi": NS_XSI})
    element.set(f"{{{NS_XSI}}}type", "CE")
    element.set("code", code)
    element.set("codeSystem", system)
    if display:
        element.set("displayName", display)
    return element


def build_vihf(
    professional: ProfessionalIdentity,
    patient: PatientIdentity,
    *,
    structure_id: str,
    lps: LpsIdentity,
    credentials: Credentials,
    purpose: str = "normal",
    now: dt.datetime | None = None,
) -> etree._Element:
    """The signed `saml2:Assertion` for one call of `professional` about `patient`.

    Raises DmpConfigurationError when the professional has no national identifier or no
    role the DMP knows: the DMP would refuse the token anyway, better say why here.
    """
    if not professional.idnat:
        raise DmpConfigurationError(
            "Le professionnel n'a pas d'identifiant national (RPPS/ADELI ou RPPS+) : "
            "le DMP ne peut pas l'identifier.",
            "OPENDUI_IDNAT_ABSENT",
        )
    if not professional.roles:
        raise DmpConfigurationError(
            "La profession du professionnel n'est pas renseignée : le DMP exige une profession.",
            "OPENDUI_ROLE_ABSENT",
        )
    if professional.authentication_mode not in AUTH_MODES:
        raise DmpConfigurationError(
            "Mode d'authentification du professionnel inconnu.", "OPENDUI_MODE_AUTH"
        )
    now = now or dt.datetime.now(dt.UTC)
    assertion = etree.Element(
        f"{{{NS_SAML}}}Assertion",
        nsmap={"saml2": NS_SAML},
        ID=f"_{uuid.uuid4()}",
        IssueInstant=_timestamp(now),
        Version="2.0",
    )
    _saml(assertion, "Issuer", credentials.subject_dn, Format=ISSUER_FORMAT)
    etree.SubElement(assertion, f"{{{NS_DS}}}Signature", Id="placeholder", nsmap={"ds": NS_DS})
    subject = _saml(assertion, "Subject")
    _saml(subject, "NameID", professional.idnat)
    _saml(subject, "SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:sender-vouches")
    _saml(
        assertion,
        "Conditions",
        NotBefore=_timestamp(now - CLOCK_SKEW),
        NotOnOrAfter=_timestamp(now + LIFETIME),
    )
    authn = _saml(assertion, "AuthnStatement", AuthnInstant=_timestamp(now))
    _saml(_saml(authn, "AuthnContext"), "AuthnContextClassRef", AUTHN_CONTEXT_TLS)
    statement = _saml(assertion, "AttributeStatement")
    _attribute(statement, ATTR_VERSION, VIHF_VERSION)
    _attribute(statement, ATTR_STRUCTURE, structure_id)
    _attribute(statement, ATTR_SECTOR, f"{professional.sector.code}^{professional.sector.system}")
    name = f"{professional.given_name} {professional.family_name}".strip()
    _attribute(statement, ATTR_SUBJECT_ID, name or professional.idnat)
    _attribute(
        statement, ATTR_ROLE, *(_coded("Role", r.code, r.system) for r in professional.roles)
    )
    _attribute(statement, ATTR_AUTH_MODE, professional.authentication_mode)
    _attribute(statement, ATTR_RESOURCE_ID, f"{patient.ins}^^^&{patient.ins_oid}&ISO^NH")
    _attribute(statement, ATTR_RESOURCE_URN, RESOURCE_URN)
    display = PURPOSE_DISPLAY.get(purpose, "")
    _attribute(statement, ATTR_PURPOSE, _coded("PurposeOfUse", purpose, PURPOSE_SYSTEM, display))
    _attribute(statement, ATTR_LPS_NAME, lps.name)
    _attribute(statement, ATTR_LPS_VERSION, lps.version)
    _attribute(statement, ATTR_LPS_ID, lps.lps_id)
    _attribute(statement, ATTR_LPS_HOMOLOGATION, lps.homologation)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    return signer.sign(
        assertion,
        key=credentials.private_key,
        cert=[credentials.certificate],
        reference_uri=f"#{assertion.get('ID')}",
        id_attribute="ID",
    )


# Verification (the DMP's side) ----------------------------------------------------------
_NS = {"saml2": NS_SAML, "ds": NS_DS, "hl7": NS_HL7}


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _certificate_of(assertion) -> x509.Certificate:
    node = assertion.find("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    if node is None or not (node.text or "").strip():
        raise VihfError("Le VIHF n'est pas signé par un certificat X.509.")
    try:
        import base64

        return x509.load_der_x509_certificate(base64.b64decode("".join(node.text.split())))
    except ValueError as exc:
        raise VihfError("Le certificat de signature du VIHF est illisible.") from exc


def check_certificate(cert: x509.Certificate, ca: x509.Certificate, now: dt.datetime) -> None:
    """The signing certificate must be issued by the trusted CA and valid now."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, BadCertificateSignature) as exc:
        raise VihfError(
            "Le certificat de signature n'est pas émis par une autorité de confiance."
        ) from exc
    if now < cert.not_valid_before_utc:
        raise VihfError("Le certificat de signature n'est pas encore valide.")
    if now > cert.not_valid_after_utc:
        raise VihfError("Le certificat de signature est expiré.")


def verify_vihf(
    element: etree._Element, ca_pem: bytes, *, now: dt.datetime | None = None
) -> VihfClaims:
    """Check signature, certificate chain, validity window and attributes; raise VihfError."""
    now = now or dt.datetime.now(dt.UTC)
    if element is None or element.tag != f"{{{NS_SAML}}}Assertion":
        raise VihfError("Le VIHF (assertion SAML 2.0) est absent de l'en-tête de sécurité.")
    assertion = etree.fromstring(etree.tostring(copy.deepcopy(element)))
    cert = _certificate_of(assertion)
    try:
        ca = x509.load_pem_x509_certificate(ca_pem)
    except ValueError as exc:  # pragma: no cover - configuration of the simulator
        raise VihfError("L'autorité de confiance du DMP est illisible.") from exc
    check_certificate(cert, ca, now)
    try:
        verified = XMLVerifier().verify(
            assertion, x509_cert=cert, id_attribute="ID", expect_references=1
        )
    except (InvalidSignature, InvalidInput, etree.DocumentInvalid) as exc:
        raise VihfError("La signature du VIHF est invalide (jeton altéré).") from exc
    signed = verified.signed_xml
    if signed is None or signed.tag != f"{{{NS_SAML}}}Assertion":
        raise VihfError("La signature du VIHF ne couvre pas l'assertion.")
    issuer = signed.findtext("saml2:Issuer", default="", namespaces=_NS).strip()
    if issuer != cert.subject.rfc4514_string():
        raise VihfError("L'émetteur du VIHF n'est pas le titulaire du certificat de signature.")
    conditions = signed.find("saml2:Conditions", _NS)
    not_before = _parse_time(conditions.get("NotBefore") if conditions is not None else None)
    not_after = _parse_time(conditions.get("NotOnOrAfter") if conditions is not None else None)
    if not_before is None or not_after is None:
        raise VihfError("Le VIHF n'indique pas sa période de validité.")
    if now < not_before or now >= not_after:
        raise VihfError("Le VIHF est expiré ou pas encore valide.")
    idnat = signed.findtext("saml2:Subject/saml2:NameID", default="", namespaces=_NS).strip()
    if not idnat:
        raise VihfError("Le VIHF n'identifie pas le professionnel (NameID absent).")
    values: dict[str, list] = {}
    for attribute in signed.iterfind("saml2:AttributeStatement/saml2:Attribute", _NS):
        holders = attribute.findall("saml2:AttributeValue", _NS)
        values.setdefault(attribute.get("Name", ""), []).extend(holders)
    missing = [name for name in REQUIRED_ATTRIBUTES if not values.get(name)]
    if missing:
        raise VihfError(f"Attribut(s) obligatoire(s) absent(s) du VIHF : {', '.join(missing)}.")

    def text(name: str) -> str:
        return (values[name][0].text or "").strip()

    if text(ATTR_VERSION) != VIHF_VERSION:
        raise VihfError(f"Version de VIHF non prise en charge : {text(ATTR_VERSION)}.")
    if text(ATTR_RESOURCE_URN) != RESOURCE_URN:
        raise VihfError("Le VIHF ne désigne pas le DMP (Ressource_URN).")
    mode = text(ATTR_AUTH_MODE)
    if mode not in AUTH_MODES:
        raise VihfError(f"Mode d'authentification inconnu dans le VIHF : {mode}.")
    roles = []
    for holder in values[ATTR_ROLE]:
        role = holder.find("hl7:Role", _NS)
        if role is None or not role.get("code") or not role.get("codeSystem"):
            raise VihfError("Rôle du professionnel mal formé dans le VIHF.")
        roles.append((role.get("code"), role.get("codeSystem")))
    resource = text(ATTR_RESOURCE_ID)
    ins, _, rest = resource.partition("^^^&")
    oid, _, suffix = rest.partition("&ISO")
    if not ins or not oid or suffix != "^NH":
        raise VihfError("L'identifiant de la personne (resource-id) est mal formé dans le VIHF.")
    purpose = values[ATTR_PURPOSE][0].find("hl7:PurposeOfUse", _NS)
    if purpose is None or purpose.get("codeSystem") != PURPOSE_SYSTEM:
        raise VihfError("Le mode d'accès (purposeofuse) est mal formé dans le VIHF.")
    return VihfClaims(
        issuer=issuer,
        idnat=idnat,
        subject_name=text(ATTR_SUBJECT_ID),
        structure_id=text(ATTR_STRUCTURE),
        sector=text(ATTR_SECTOR),
        roles=tuple(roles),
        authentication_mode=mode,
        patient_ins=ins,
        patient_oid=oid,
        purpose=purpose.get("code", ""),
        lps=LpsIdentity(
            name=text(ATTR_LPS_NAME),
            version=text(ATTR_LPS_VERSION),
            lps_id=text(ATTR_LPS_ID),
            homologation=text(ATTR_LPS_HOMOLOGATION),
        ),
    )
