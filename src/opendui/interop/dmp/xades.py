"""The signature of a DMP submission set: IHE DSG detached XAdES signature.

Every ITI-41 submission carries one more DocumentEntry holding this XML signature. It
does not sign XML found in the message: its `ds:Manifest Id="IHEManifest"` lists
`urn:oid:<uniqueId>` references, one for the submission set and one per document, and
no generic XMLDSig library can dereference a `urn:oid:` URI. So the manifest digests
are computed here, by hand, over the exact bytes sent (SHA-256, no transform); signxml
then signs the manifest and the XAdES `SignedProperties` (detached references to
`#IHEManifest` and `#S0-SignedProperties`, exclusive c14n, RSA-SHA256).

The submission set reference cannot digest a document: its DigestValue is the SHA-256
of the submission set's uniqueId (UTF-8), which binds the signature to that set.

`verify_submission_signature` is the DMP's side (simulator): signature, certificate and
every manifest digest against the parts received.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, SignatureConstructionMethod
from signxml.exceptions import InvalidInput, InvalidSignature

from .credentials import Credentials
from .vihf import VihfError, check_certificate

NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XADES = "http://uri.etsi.org/01903/v1.1.1#"
MANIFEST_ID = "IHEManifest"
SIGNED_PROPERTIES_ID = "S0-SignedProperties"
TYPE_MANIFEST = "http://www.w3.org/2000/09/xmldsig#Manifest"
TYPE_SIGNED_PROPERTIES = "http://uri.etsi.org/01903/v1.1.1#SignedProperties"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def digest(data: bytes) -> str:
    """Base64 SHA-256, the DigestValue of a manifest reference."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _ds(parent, tag: str, text: str | None = None, **attrib):
    element = etree.SubElement(parent, f"{{{NS_DS}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _xades(parent, tag: str, text: str | None = None, **attrib):
    element = etree.SubElement(parent, f"{{{NS_XADES}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


class _Signer(XMLSigner):
    """signxml's signer, marking the two references with their XAdES Type before signing."""

    def __init__(self):
        super().__init__(
            method=SignatureConstructionMethod.detached,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        self.signature_annotators.append(self._type_references)

    @staticmethod
    def _type_references(sig_root, signing_settings=None):
        types = {
            f"#{MANIFEST_ID}": TYPE_MANIFEST,
            f"#{SIGNED_PROPERTIES_ID}": TYPE_SIGNED_PROPERTIES,
        }
        for reference in sig_root.iterfind(f"{{{NS_DS}}}SignedInfo/{{{NS_DS}}}Reference"):
            if reference.get("URI") in types:
                reference.set("Type", types[reference.get("URI")])


def sign_submission(
    submission_set_unique_id: str,
    documents: list[tuple[str, bytes]],
    *,
    signature_id: str,
    credentials: Credentials,
    now: dt.datetime | None = None,
) -> bytes:
    """The XAdES signature (UTF-8 XML bytes) of a submission set and its documents.

    `documents` are (uniqueId, exact bytes sent) pairs.
    """
    now = now or dt.datetime.now(dt.UTC)
    holder = etree.Element(f"{{{NS_DS}}}Holder", nsmap={"ds": NS_DS, "xades": NS_XADES})
    manifest = _ds(_ds(holder, "Object"), "Manifest", Id=MANIFEST_ID)
    references = [(submission_set_unique_id, submission_set_unique_id.encode("utf-8"))]
    for unique_id, content in [*references, *documents]:
        reference = _ds(manifest, "Reference", URI=f"urn:oid:{unique_id}")
        _ds(reference, "DigestMethod", Algorithm=DIGEST_SHA256)
        _ds(reference, "DigestValue", digest(content))
    qualifying = _xades(_ds(holder, "Object"), "QualifyingProperties", Target=f"#{signature_id}")
    signed_properties = _xades(qualifying, "SignedProperties", Id=SIGNED_PROPERTIES_ID)
    signed_signature = _xades(signed_properties, "SignedSignatureProperties")
    _xades(signed_signature, "SigningTime", now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    cert = credentials.certificate
    cert_node = _xades(_xades(signed_signature, "SigningCertificate"), "Cert")
    cert_digest = _xades(cert_node, "CertDigest")
    _ds(cert_digest, "DigestMethod", Algorithm=DIGEST_SHA256)
    _ds(cert_digest, "DigestValue", digest(cert.public_bytes(serialization.Encoding.DER)))
    issuer_serial = _xades(cert_node, "IssuerSerial")
    _ds(issuer_serial, "X509IssuerName", cert.issuer.rfc4514_string())
    _ds(issuer_serial, "X509SerialNumber", str(cert.serial_number))
    _xades(_xades(signed_signature, "SignaturePolicyIdentifier"), "SignaturePolicyImplied")
    signature = _Signer().sign(
        holder,
        key=credentials.private_key,
        cert=[cert],
        reference_uri=[MANIFEST_ID, SIGNED_PROPERTIES_ID],
    )
    signature.set("Id", signature_id)
    for obj in list(holder):
        signature.append(obj)
    return etree.tostring(signature, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class SignedManifest:
    """What a verified submission signature covers: uniqueId -> base64 SHA-256 digest."""

    digests: dict[str, str]
    signer_subject: str


def verify_submission_signature(
    signature_xml: bytes, ca_pem: bytes, *, now: dt.datetime | None = None
) -> SignedManifest:
    """Check the XAdES signature and return its manifest; raise VihfError (French) if not."""
    now = now or dt.datetime.now(dt.UTC)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(signature_xml, parser)
    except etree.XMLSyntaxError as exc:
        raise VihfError("La signature du lot n'est pas du XML bien formé.") from exc
    if root.tag != f"{{{NS_DS}}}Signature":
        raise VihfError("La signature du lot n'est pas une signature XML.")
    ns = {"ds": NS_DS}
    node = root.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)
    if node is None or not (node.text or "").strip():
        raise VihfError("La signature du lot ne porte pas de certificat.")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(node.text.split())))
    except ValueError as exc:
        raise VihfError("Le certificat de la signature du lot est illisible.") from exc
    check_certificate(cert, x509.load_pem_x509_certificate(ca_pem), now)
    try:
        results = XMLVerifier().verify(root, x509_cert=cert, expect_references=2)
    except (InvalidSignature, InvalidInput, etree.DocumentInvalid) as exc:
        raise VihfError("La signature du lot est invalide (contenu altéré).") from exc
    manifest = next(
        (
            r.signed_xml
            for r in results
            if r.signed_xml is not None and r.signed_xml.get("Id") == MANIFEST_ID
        ),
        None,
    )
    if manifest is None or manifest.tag != f"{{{NS_DS}}}Manifest":
        raise VihfError("La signature du lot ne couvre pas le manifeste IHE.")
    digests = {}
    for reference in manifest.iterfind("ds:Reference", ns):
        uri = reference.get("URI", "")
        if not uri.startswith("urn:oid:"):
            raise VihfError("Référence du manifeste mal formée (urn:oid attendu).")
        if reference.find("ds:DigestMethod", ns).get("Algorithm") != DIGEST_SHA256:
            raise VihfError("Algorithme d'empreinte du manifeste non accepté (SHA-256 attendu).")
        digests[uri.removeprefix("urn:oid:")] = reference.findtext("ds:DigestValue", "", ns).strip()
    return SignedManifest(digests=digests, signer_subject=cert.subject.rfc4514_string())
