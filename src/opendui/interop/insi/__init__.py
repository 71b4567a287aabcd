"""INSi téléservice (CNAM "ServiceIdentiteCertifiee"): search of the INS by traits.

- `envelope`: building the SOAP 1.2 request and reading the response (pure, lxml);
- `client`: `InsiClient`, the HTTP(S) transport with the establishment certificate;
- `simulator` + `identities`: a loopback server speaking the same contract;
- `config.client_from_settings()`: the client described by the OPENDUI_INSI_* settings.
"""

from opendui.interop.insi.envelope import (
    CR_MULTIPLE,
    CR_NONE,
    CR_OK,
    InsiFault,
    InsiIdentity,
    InsiInputError,
    SearchResult,
    SearchTraits,
)


def client_from_settings():
    """The `InsiClient` configured by the OPENDUI_INSI_* settings (see `config`)."""
    from opendui.interop.insi.config import client_from_settings as factory

    return factory()


__all__ = [
    "CR_MULTIPLE",
    "CR_NONE",
    "CR_OK",
    "InsiFault",
    "InsiIdentity",
    "InsiInputError",
    "SearchResult",
    "SearchTraits",
    "client_from_settings",
]
