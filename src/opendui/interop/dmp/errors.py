"""What can go wrong when talking to the DMP, as one exception family with French messages.

The record shows `message_fr` to the user and the job runner reads `retryable`: a service
that is down or slow is tried again later (`DmpUnavailable`); a refusal that depends on the
person, the professional or the document is not (`DmpRefused`), nor is a configuration
error such as a refused certificate (`DmpConfigurationError`).

`FAULT_MESSAGES` maps every code the DMP (and the loopback simulator) answers with, SOAP
fault subcodes and XDS `RegistryError/@errorCode` alike, to its French message and
whether it is worth retrying. It is a table so that it is read and tested as one.
"""

from __future__ import annotations


class DmpError(Exception):
    """A DMP call failed. `code` is the service's code (or OpenDUI's for local failures)."""

    retryable = False

    def __init__(self, message_fr: str, code: str = "", retryable: bool | None = None):
        super().__init__(message_fr)
        self.message_fr = message_fr
        self.code = code
        if retryable is not None:
            self.retryable = retryable


class DmpUnavailable(DmpError):
    """Network failure, timeout, HTTP 5xx, service busy: try again later."""

    retryable = True


class DmpRefused(DmpError):
    """The DMP answered no: no DMP, opposition, access refused, document rejected."""

    retryable = False


class DmpConfigurationError(DmpError):
    """The installation is wrong: certificate refused, missing identifier, bad endpoint."""

    retryable = False


# Local failures (no answer to map).
UNAVAILABLE = "OPENDUI_INDISPONIBLE"
TIMEOUT = "OPENDUI_DELAI_DEPASSE"
TLS = "OPENDUI_TLS"
BAD_RESPONSE = "OPENDUI_REPONSE_ILLISIBLE"

# Codes answered by the service. DMP-specific subcodes are the simulator's names for the
# national refusals (the DMPi integration guide that numbers them is not public); XDS codes
# are those of IHE ITI TF-3 4.2.4.
NO_DMP = "DMP_ABSENT"
OPPOSED = "DMP_OPPOSITION"
ACCESS_REFUSED = "DMP_ACCES_REFUSE"
NOT_AUTHORISED = "DMP_ACCES_NON_AUTORISE"
CLOSED = "DMP_FERME"
SERVICE_UNAVAILABLE = "DMP_INDISPONIBLE"
VIHF_INVALID = "VIHF_INVALIDE"
REQUEST_INVALID = "REQUETE_INVALIDE"
CDA_INVALID = "CDA_INVALIDE"
SIGNATURE_INVALID = "SIGNATURE_INVALIDE"
TOO_LARGE = "DOCUMENT_TROP_VOLUMINEUX"
UNKNOWN_DOCUMENT = "DOCUMENT_INCONNU"

# code -> (French message, retryable)
FAULT_MESSAGES: dict[str, tuple[str, bool]] = {
    NO_DMP: ("La personne n'a pas de DMP (Mon espace santé non ouvert).", False),
    OPPOSED: ("La personne s'est opposée à l'alimentation ou à la consultation de son DMP.", False),
    ACCESS_REFUSED: (
        "L'accès au DMP de la personne est refusé à ce professionnel (profession non "
        "habilitée ou professionnel bloqué par la personne).",
        False,
    ),
    NOT_AUTHORISED: (
        "Le professionnel n'est pas autorisé sur le DMP de la personne : demandez son accord "
        "puis enregistrez l'autorisation.",
        False,
    ),
    CLOSED: ("Le DMP de la personne est fermé.", False),
    SERVICE_UNAVAILABLE: ("Le DMP est momentanément indisponible ; l'envoi sera réessayé.", True),
    VIHF_INVALID: (
        "Le jeton d'identification (VIHF) a été refusé par le DMP : vérifiez le certificat "
        "d'établissement et l'identité nationale du professionnel.",
        False,
    ),
    REQUEST_INVALID: ("Le DMP a refusé la requête : elle est mal formée.", False),
    CDA_INVALID: ("Le DMP a refusé le document : le CDA n'est pas conforme.", False),
    SIGNATURE_INVALID: ("Le DMP a refusé la signature du lot de soumission.", False),
    TOO_LARGE: ("Le document est trop volumineux pour le DMP.", False),
    UNKNOWN_DOCUMENT: ("Ce document n'existe pas (ou plus) dans le DMP.", False),
    "XDSRegistryMetadataError": (
        "Le DMP a refusé les métadonnées du document (champ obligatoire absent ou invalide).",
        False,
    ),
    "XDSPatientIdDoesNotMatch": (
        "L'INS du document ne correspond pas à celui de la personne du DMP.",
        False,
    ),
    "XDSUnknownPatientId": ("L'INS de la personne est inconnu du DMP.", False),
    "XDSDuplicateUniqueIdInRegistry": (
        "Cette version du document a déjà été déposée dans le DMP.",
        False,
    ),
    "XDSNonIdenticalHash": (
        "Le document reçu par le DMP est altéré (empreinte différente).",
        False,
    ),
    "XDSNonIdenticalSize": ("Le document reçu par le DMP est altéré (taille différente).", False),
    "XDSMissingDocument": ("Le document annoncé est absent de l'envoi.", False),
    "XDSDocumentUniqueIdError": ("Ce document n'existe pas (ou plus) dans le DMP.", False),
    "XDSUnknownRepositoryId": ("L'entrepôt du document est inconnu du DMP.", False),
    "XDSMetadataUpdateError": (
        "Le DMP a refusé la mise à jour : le document a changé depuis sa lecture ; "
        "relisez le DMP puis recommencez.",
        False,
    ),
    "XDSMetadataVersionError": (
        "Le DMP a refusé la mise à jour : une version plus récente des métadonnées existe ; "
        "relisez le DMP puis recommencez.",
        False,
    ),
    "XDSRegistryBusy": ("Le DMP est surchargé ; l'envoi sera réessayé.", True),
    "XDSRepositoryBusy": ("Le DMP est surchargé ; l'envoi sera réessayé.", True),
    "XDSRegistryError": ("Erreur interne du DMP ; l'envoi sera réessayé.", True),
    "XDSRepositoryError": ("Erreur interne du DMP ; l'envoi sera réessayé.", True),
}

LOCAL_MESSAGES: dict[str, str] = {
    UNAVAILABLE: "Le DMP est injoignable pour le moment ; l'opération sera réessayée.",
    TIMEOUT: "Le DMP n'a pas répondu à temps ; l'opération sera réessayée.",
    TLS: (
        "La connexion sécurisée au DMP a échoué : certificat d'établissement refusé, expiré, "
        "ou certificat du serveur non reconnu."
    ),
    BAD_RESPONSE: "La réponse du DMP est illisible ; l'opération sera réessayée.",
}


# Refusals whose reason (the service's own words) helps to fix the document.
_WITH_REASON = {
    CDA_INVALID,
    "XDSRegistryMetadataError",
    REQUEST_INVALID,
    SIGNATURE_INVALID,
    VIHF_INVALID,
}


def error_for_code(code: str, reason: str = "") -> DmpError:
    """The exception for a code answered by the service; unknown codes keep the reason."""
    known = FAULT_MESSAGES.get(code)
    if known is None:
        detail = f" ({reason})" if reason else ""
        return DmpRefused(f"Le DMP a refusé l'opération{detail}.", code)
    message, retryable = known
    if code in _WITH_REASON and reason:
        message = f"{message.rstrip('.')} : {reason}"
    cls = DmpUnavailable if retryable else DmpRefused
    if code == VIHF_INVALID:
        cls = DmpConfigurationError
    return cls(message, code)


def local_error(code: str) -> DmpError:
    """The exception for a failure detected on this side (network, TLS, unreadable answer)."""
    if code == TLS:
        return DmpConfigurationError(LOCAL_MESSAGES[TLS], TLS)
    return DmpUnavailable(LOCAL_MESSAGES[code], code)
