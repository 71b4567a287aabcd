"""INSi téléservice (CNAM "ServiceIdentiteCertifiee"): search of the INS by traits.

- `envelope`: building the SOAP 1.2 request and reading the response (pure, lxml);
- `client`: `InsiClient`, the HTTP(S) transport with the establishment certificate;
- `simulator` + `identities`: a loopback server speaking the same contract.
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

__all__ = [
    "CR_MULTIPLE",
    "CR_NONE",
    "CR_OK",
    "InsiFault",
    "InsiIdentity",
    "InsiInputError",
    "SearchResult",
    "SearchTraits",
]
