"""INSi "recherche par traits": SOAP 1.2 request building and response parsing.

Pure functions (no I/O, no clock, no random): the caller passes the message id
and the time. Contract: CNAM WSDL `DESIR_ICIR_EXP_1.5.0` (operation
`rechercherInsAvecTraitsIdentite`) as summarised in
`shared/reference/services_socles.md` §1.6 and Appendix A.

Never log what goes through here: every value is personal data.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from lxml import etree

# Namespaces ------------------------------------------------------------------
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_CTXBAM = "urn:siram:bam:ctxbam"
NS_CTXLPS = "urn:siram:lps:ctxlps"
NS_SIRAM = "urn:siram"
NS_RECSANS = "http://www.cnamts.fr/INSiRecSans"
NS_RESULTAT = "http://www.cnamts.fr/INSiResultat"

NSMAP_REQUEST = {
    "soap": NS_SOAP,
    "wsa": NS_WSA,
    "ctxbam": NS_CTXBAM,
    "ctxlps": NS_CTXLPS,
    "insi_recsans_ins": NS_RECSANS,
}

ACTION_SEARCH_BY_TRAITS = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite"
CONTENT_TYPE_SEARCH = f'application/soap+xml; charset=utf-8; action="{ACTION_SEARCH_BY_TRAITS}"'

CTXBAM_VERSION = "01_02"
CTXLPS_VERSION = "01_00"
IDAM_R = "4"

# Result codes (RESULTAT/CR/CodeCR) ---------------------------------------------
CR_OK = "00"  # one identity
CR_NONE = "01"  # no identity
CR_MULTIPLE = "02"  # several identities
CR_LABELS = {
    CR_OK: "OK",
    CR_NONE: "Aucune identite trouvee",
    CR_MULTIPLE: "Plusieurs identites trouvees",
}

# INSi input rule for names (upper case, no diacritics, separators: hyphen,
# double hyphen, apostrophe, space).
NAME_PATTERN = re.compile(r"^[A-Z]+(?:(?:-{1,2}|[' ])[A-Z]+)*$")
PLACE_PATTERN = re.compile(r"^[A-Z0-9]{5}$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_LIGATURES = {"Œ": "OE", "Æ": "AE", "ß": "SS"}


class InsiInputError(ValueError):
    """The traits cannot be sent to INSi as they are; the message is French."""


class InsiFault(Exception):
    """INSi answered with a SOAP fault.

    `code` is the subcode (e.g. `siram_100`) or the main code when there is no
    subcode, `detail_code` the `siram:Erreur/@code` (e.g. `desir_550`) when
    present, `message` the French `Reason/Text`.
    """

    def __init__(self, code: str, message: str, detail_code: str = "", detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail_code = detail_code
        self.detail = detail


class InsiResponseError(Exception):
    """The response is neither a RESULTAT nor a SOAP fault (French message)."""


# Data --------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchTraits:
    """What is sent in RECSANSVITALE. `first_name`: one birth first name, or the
    space-separated list (INSi matches either)."""

    birth_name: str
    first_name: str
    sex: str  # "M" or "F"
    birth_date: dt.date
    birth_place: str | None = None  # INSEE COG code, 99xxx abroad


@dataclass(frozen=True)
class InsiIdentity:
    """One identity from INDIVIDU: INSACTIF + TIQ."""

    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: dt.date
    birth_place: str
    matricule: str  # NumIdentifiant + Cle, 15 characters
    oid: str
    history: tuple[tuple[str, str], ...] = ()  # INSHISTO: (matricule, oid)

    @property
    def first_name(self) -> str:
        return self.first_names[0] if self.first_names else ""

    @property
    def first_names_list(self) -> str:
        return " ".join(self.first_names)


@dataclass(frozen=True)
class SearchResult:
    code: str
    label: str
    identity: InsiIdentity | None = None
    extra: dict = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.code == CR_OK


# Normalisation -----------------------------------------------------------------
def strip_diacritics(value: str) -> str:
    upper = (value or "").upper()
    for ligature, plain in _LIGATURES.items():
        upper = upper.replace(ligature, plain)
    decomposed = unicodedata.normalize("NFKD", upper)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_name(value: str, *, label: str = "Le nom") -> str:
    """Upper case, no diacritics, only the separators INSi allows.

    Curly apostrophes become `'`; any other character that is not a letter nor
    an allowed separator becomes a space; spaces are collapsed. Raises
    InsiInputError when nothing acceptable remains.
    """
    text = strip_diacritics(value).translate(_APOSTROPHES)
    text = "".join(c if ("A" <= c <= "Z" or c in "-' ") else " " for c in text)
    text = re.sub(r"\s+", " ", text).strip(" -'")
    text = re.sub(r" ?(--?|') ?", r"\1", text)  # no space around a separator
    if not NAME_PATTERN.match(text):
        raise InsiInputError(
            f"{label} « {value} » ne peut pas être transmis à l'INSi : lettres, "
            "tiret, double tiret, apostrophe ou espace uniquement."
        )
    return text


def normalise_traits(traits: SearchTraits) -> SearchTraits:
    sex = (traits.sex or "").strip().upper()
    if sex not in ("M", "F"):
        raise InsiInputError("Le sexe transmis à l'INSi est « M » ou « F ».")
    if not isinstance(traits.birth_date, dt.date):
        raise InsiInputError("La date de naissance est obligatoire pour interroger l'INSi.")
    place = (traits.birth_place or "").strip().upper() or None
    if place is not None and not PLACE_PATTERN.match(place):
        raise InsiInputError(
            f"Le lieu de naissance « {traits.birth_place} » n'est pas un code INSEE "
            "à 5 caractères (99xxx pour une naissance à l'étranger)."
        )
    return SearchTraits(
        birth_name=normalise_name(traits.birth_name, label="Le nom de naissance"),
        first_name=normalise_name(traits.first_name, label="Le prénom"),
        sex=sex,
        birth_date=traits.birth_date,
        birth_place=place,
    )


# Request -----------------------------------------------------------------------
def _utc_timestamp(now: dt.datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    utc = now.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _sub(parent, ns: str, tag: str, text: str | None = None, **attrib):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def build_search_request(
    traits: SearchTraits,
    *,
    lps_name: str,
    lps_version: str,
    emitter: str,
    message_id: uuid.UUID | str,
    now: dt.datetime,
    idam: str = "",
    instance: uuid.UUID | str | None = None,
) -> bytes:
    """The SOAP 1.2 envelope of `rechercherInsAvecTraitsIdentite`, UTF-8 bytes.

    Establishment-certificate mode (INSI-AUTO / INSI-MANU): no `wsse:Security`,
    authentication is the TLS client certificate. `idam` is the software
    authorisation number delivered by the CNDA; `instance` the UUID of the
    installation (derived from the emitter when not given). The ContexteBAM and
    ContexteLPS ids are derived from `message_id` so that the function stays pure.
    """
    normalised = normalise_traits(traits)
    message_uuid = uuid.UUID(str(message_id).removeprefix("uuid:"))
    instance_id = str(instance) if instance else str(uuid.uuid5(uuid.NAMESPACE_URL, emitter))
    timestamp = _utc_timestamp(now)

    envelope = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap=NSMAP_REQUEST)
    header = _sub(envelope, NS_SOAP, "Header")

    bam = _sub(header, NS_CTXBAM, "ContexteBAM", Version=CTXBAM_VERSION)
    _sub(bam, NS_CTXBAM, "Id", str(uuid.uuid5(message_uuid, "ContexteBAM")))
    _sub(bam, NS_CTXBAM, "Temps", timestamp)
    _sub(bam, NS_CTXBAM, "Emetteur", emitter)
    _sub(bam, NS_CTXBAM, "COUVERTURE")

    lps = _sub(header, NS_CTXLPS, "ContexteLPS", Nature="CTXLPS", Version=CTXLPS_VERSION)
    _sub(lps, NS_CTXLPS, "Id", str(uuid.uuid5(message_uuid, "ContexteLPS")))
    _sub(lps, NS_CTXLPS, "Temps", timestamp)
    _sub(lps, NS_CTXLPS, "Emetteur", emitter)
    software = _sub(lps, NS_CTXLPS, "LPS")
    _sub(software, NS_CTXLPS, "IDAM", idam, R=IDAM_R)
    _sub(software, NS_CTXLPS, "Version", lps_version)
    _sub(software, NS_CTXLPS, "Instance", instance_id)
    _sub(software, NS_CTXLPS, "Nom", f"urn:lps:{lps_name}:{lps_version}")

    _sub(header, NS_WSA, "Action", ACTION_SEARCH_BY_TRAITS)
    _sub(header, NS_WSA, "MessageID", f"uuid:{message_uuid}")

    body = _sub(envelope, NS_SOAP, "Body")
    search = _sub(body, NS_RECSANS, "RECSANSVITALE")
    _sub(search, NS_RECSANS, "NomNaissance", normalised.birth_name)
    _sub(search, NS_RECSANS, "Prenom", normalised.first_name)
    _sub(search, NS_RECSANS, "Sexe", normalised.sex)
    _sub(search, NS_RECSANS, "DateNaissance", normalised.birth_date.isoformat())
    if normalised.birth_place:
        _sub(search, NS_RECSANS, "LieuNaissance", normalised.birth_place)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


# Response ----------------------------------------------------------------------
def _parse_xml(xml: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InsiResponseError("La réponse de l'INSi n'est pas un document XML lisible.") from exc


def _text(element, path: str, ns: dict) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _qname_local(value: str) -> str:
    return value.split(":", 1)[-1] if value else ""


def fault_from(root) -> InsiFault | None:
    """The InsiFault carried by a parsed envelope, or None."""
    ns = {"soap": NS_SOAP, "siram": NS_SIRAM}
    fault = root.find("soap:Body/soap:Fault", ns)
    if fault is None:
        return None
    subcode = _text(fault, "soap:Code/soap:Subcode/soap:Value", ns)
    code = _qname_local(subcode or _text(fault, "soap:Code/soap:Value", ns))
    message = _text(fault, "soap:Reason/soap:Text", ns) or "Erreur renvoyée par l'INSi."
    error = fault.find("soap:Detail/siram:Erreur", ns)
    detail_code = error.get("code", "") if error is not None else ""
    detail = (error.text or "").strip() if error is not None else ""
    return InsiFault(code, message, detail_code=detail_code, detail=detail)


def _matricule(container, ns: dict) -> tuple[str, str]:
    number = _text(container, "r:IdIndividu/r:NumIdentifiant", ns)
    key = _text(container, "r:IdIndividu/r:Cle", ns)
    return number + key, _text(container, "r:OID", ns)


def parse_search_response(xml: bytes) -> SearchResult:
    """Read a RESULTAT; raise InsiFault for a SOAP fault, InsiResponseError otherwise."""
    root = _parse_xml(xml)
    fault = fault_from(root)
    if fault is not None:
        raise fault
    ns = {"soap": NS_SOAP, "r": NS_RESULTAT}
    result = root.find("soap:Body/r:RESULTAT", ns)
    if result is None:
        raise InsiResponseError("La réponse de l'INSi ne contient pas de résultat.")
    code = _text(result, "r:CR/r:CodeCR", ns)
    label = _text(result, "r:CR/r:LibelleCR", ns)
    if code not in CR_LABELS:
        raise InsiResponseError(f"Code retour INSi inattendu : « {code} ».")
    if code != CR_OK:
        return SearchResult(code=code, label=label)
    individual = result.find("r:INDIVIDU", ns)
    active = individual.find("r:INSACTIF", ns) if individual is not None else None
    tiq = individual.find("r:TIQ", ns) if individual is not None else None
    if active is None or tiq is None:
        raise InsiResponseError("La réponse INSi « 00 » ne contient pas l'identité attendue.")
    matricule, oid = _matricule(active, ns)
    # A single INSHISTO is still a list.
    history = tuple(_matricule(h, ns) for h in individual.findall("r:INSHISTO", ns))
    first_names = _text(tiq, "r:ListePrenom", ns) or _text(tiq, "r:Prenom", ns)
    birth_date_text = _text(tiq, "r:DateNaissance", ns)
    try:
        birth_date = dt.date.fromisoformat(birth_date_text)
    except ValueError as exc:
        raise InsiResponseError(
            f"Date de naissance renvoyée par l'INSi illisible : « {birth_date_text} »."
        ) from exc
    identity = InsiIdentity(
        birth_name=_text(tiq, "r:NomNaissance", ns),
        first_names=tuple(first_names.split()),
        sex=_text(tiq, "r:Sexe", ns),
        birth_date=birth_date,
        birth_place=_text(tiq, "r:LieuNaissance", ns),
        matricule=matricule,
        oid=oid,
        history=history,
    )
    return SearchResult(code=code, label=label, identity=identity)
