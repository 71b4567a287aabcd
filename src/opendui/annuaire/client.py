"""HTTP client of the Annuaire Santé FHIR API (searches only).

Every request carries the `ESANTE-API-KEY` header and a timeout; a search follows the
Bundle's `next` links up to `max_pages`, and only on the server it started on (a `next`
link to another host would receive the API key). Every failure — network down, timeout,
refused key, HTTP error, unreadable answer — raises `AnnuaireError` with a French
message that the forms show while staying usable.

Search parameters (Annuaire Santé API v2, `…/version-2/resources/*.md`):
Practitioner `identifier` (idNat_PS `8`+RPPS / `0`+ADELI), `family`, `given`, `name`,
`qualification-code` (TRE_G15), `mailbox-mss`, `active`; PractitionerRole
`organization.address-city`, `organization.address-postalcode` (chained search) with
`_include` of the practitioner and organisation; Organization `identifier` (FINESS),
`name`, `address-city`, `address-postalcode`, `mailbox-mss`.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from opendui.core.identifiers import normalise_identifier

from .parsing import (
    BundleError,
    Organisation,
    Page,
    Practitioner,
    fold,
    organisations_of,
    parse_bundle,
    practitioners_of,
)

UNREACHABLE = (
    "Annuaire Santé injoignable : saisissez les informations ; elles seront marquées "
    "« non vérifié dans l'Annuaire »."
)


class AnnuaireError(Exception):
    """The Annuaire could not answer. `str(error)` is a French sentence for the user;
    `reason` is one of: unreachable, timeout, refused, http, invalid, config."""

    def __init__(self, message: str, reason: str = "unreachable") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SearchResult:
    """What a search found; `truncated` when pages were left (the page cap)."""

    practitioners: list[Practitioner]
    organisations: list[Organisation]
    total: int | None
    truncated: bool


class AnnuaireClient:
    """Searches of one Annuaire Santé FHIR base (e.g. https://gateway.api.esante.gouv.fr/fhir/v2)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        page_size: int = 20,
        max_pages: int = 5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.page_size = page_size
        self.max_pages = max_pages
        self._origin = urlsplit(self.base_url)[:2]

    # --- transport ---------------------------------------------------------------------------

    def _get(self, url: str) -> Page:
        if urlsplit(url)[:2] != self._origin:
            raise AnnuaireError(
                "L'Annuaire Santé a renvoyé un lien de page vers un autre serveur : "
                "recherche interrompue.",
                "invalid",
            )
        request = urllib.request.Request(  # noqa: S310 - http(s) base checked by config
            url,
            headers={
                "ESANTE-API-KEY": self.api_key,
                "Accept": "application/fhir+json",
                "User-Agent": "OpenDUI",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(20_000_000)
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise AnnuaireError(
                    "L'Annuaire Santé refuse la clé d'API (OPENDUI_ANNUAIRE_API_KEY absente ou "
                    "invalide) : saisissez les informations ; elles seront marquées « non "
                    "vérifié dans l'Annuaire ».",
                    "refused",
                ) from exc
            raise AnnuaireError(
                f"L'Annuaire Santé a répondu par une erreur (HTTP {exc.code}) : réessayez plus "
                "tard ou saisissez les informations ; elles seront marquées « non vérifié dans "
                "l'Annuaire ».",
                "http",
            ) from exc
        except TimeoutError as exc:
            raise AnnuaireError(
                "L'Annuaire Santé n'a pas répondu à temps. " + UNREACHABLE, "timeout"
            ) from exc
        except urllib.error.URLError as exc:
            reason = "timeout" if isinstance(exc.reason, TimeoutError) else "unreachable"
            raise AnnuaireError(UNREACHABLE, reason) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise AnnuaireError(UNREACHABLE) from exc
        try:
            return parse_bundle(json.loads(body))
        except (ValueError, BundleError) as exc:
            raise AnnuaireError(
                "La réponse de l'Annuaire Santé est illisible : réessayez plus tard ou saisissez "
                "les informations ; elles seront marquées « non vérifié dans l'Annuaire ».",
                "invalid",
            ) from exc

    def _search(self, resource: str, params: list[tuple[str, str]]) -> tuple[list[Page], bool]:
        """All the pages of a search (at most `max_pages`) and whether some were left."""
        url = f"{self.base_url}/{resource}?{urlencode([*params, ('_count', str(self.page_size))])}"
        pages: list[Page] = []
        while url and len(pages) < self.max_pages:
            page = self._get(url)
            pages.append(page)
            url = page.next_url
        return pages, bool(url)

    def metadata(self) -> bool:
        """True when the server answers its CapabilityStatement (a health check)."""
        request = urllib.request.Request(  # noqa: S310
            f"{self.base_url}/metadata",
            headers={"ESANTE-API-KEY": self.api_key, "Accept": "application/fhir+json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return (
                    json.loads(response.read(2_000_000)).get("resourceType")
                    == "CapabilityStatement"
                )
        except (OSError, ValueError, http.client.HTTPException):
            return False

    # --- searches ----------------------------------------------------------------------------

    def search_practitioners(
        self,
        *,
        rpps: str = "",
        adeli: str = "",
        idnat_ps: str = "",
        name: str = "",
        family: str = "",
        given: str = "",
        profession: str = "",
        city: str = "",
        postal_code: str = "",
        finess: str = "",
        mailbox: str = "",
        active_only: bool = True,
    ) -> SearchResult:
        """Professionals matching every given criterion (at least one is needed)."""
        identifier = normalise_identifier(idnat_ps) or (
            "8" + normalise_identifier(rpps)
            if rpps
            else ("0" + normalise_identifier(adeli) if adeli else "")
        )
        params: list[tuple[str, str]] = []
        if active_only:
            params.append(("active", "true"))
        by_place = bool(city.strip() or postal_code.strip() or finess.strip())
        prefix = "practitioner." if by_place else ""
        if identifier:
            params.append((f"{prefix}identifier", identifier))
        for key, value in (("family", family), ("given", given), ("name", name)):
            if value.strip():
                params.append((f"{prefix}{key}", value.strip()))
        if profession.strip():
            params.append(("role" if by_place else "qualification-code", profession.strip()))
        if mailbox.strip():
            params.append((f"{prefix}mailbox-mss:contains", mailbox.strip()))
        if not any(
            v.strip()
            for v in (
                identifier,
                family,
                given,
                name,
                profession,
                mailbox,
                city,
                postal_code,
                finess,
            )
        ):
            raise AnnuaireError("Indiquez au moins un critère de recherche.", "invalid")
        if by_place:
            # Practitioners carry no address: search their roles by the organisation's place.
            if city.strip():
                params.append(("organization.address-city", city.strip()))
            if postal_code.strip():
                params.append(("organization.address-postalcode", postal_code.strip()))
            if finess.strip():
                params.append(("organization.identifier", normalise_identifier(finess)))
            params += [
                ("_include", "PractitionerRole:practitioner"),
                ("_include", "PractitionerRole:organization"),
            ]
            # Chained parameters on the practitioner are not all served on roles: keep
            # the plain ones only (name criteria are then checked on the result).
            params = [
                (k, v)
                for k, v in params
                if not k.startswith("practitioner.") or k.endswith("identifier")
            ]
            pages, truncated = self._search("PractitionerRole", params)
            found = practitioners_of(pages)
            found = _filter_names(found, family=family, given=given, name=name)
        else:
            params += [
                ("_revinclude", "PractitionerRole:practitioner"),
                ("_include", "PractitionerRole:organization"),
            ]
            pages, truncated = self._search("Practitioner", params)
            found = practitioners_of(pages)
        return SearchResult(found, organisations_of(pages), _total(pages), truncated)

    def practitioner_by_idnat(self, idnat_ps: str) -> Practitioner | None:
        """The professional with this idNat_PS (active or not), or None when the Annuaire
        does not know it."""
        result = self.search_practitioners(idnat_ps=idnat_ps, active_only=False)
        wanted = normalise_identifier(idnat_ps)
        return next((p for p in result.practitioners if p.idnat_ps == wanted), None)

    def search_organisations(
        self,
        *,
        finess: str = "",
        name: str = "",
        city: str = "",
        postal_code: str = "",
        mailbox: str = "",
    ) -> SearchResult:
        """Organisations matching every given criterion (at least one is needed)."""
        params: list[tuple[str, str]] = []
        if finess.strip():
            params.append(("identifier", normalise_identifier(finess)))
        if name.strip():
            params.append(("name", name.strip()))
        if city.strip():
            params.append(("address-city", city.strip()))
        if postal_code.strip():
            params.append(("address-postalcode", postal_code.strip()))
        if mailbox.strip():
            params.append(("mailbox-mss:contains", mailbox.strip()))
        if not params:
            raise AnnuaireError("Indiquez au moins un critère de recherche.", "invalid")
        pages, truncated = self._search("Organization", params)
        return SearchResult([], organisations_of(pages), _total(pages), truncated)


def _total(pages: list[Page]) -> int | None:
    return pages[0].total if pages else None


def _filter_names(
    found: list[Practitioner], *, family: str, given: str, name: str
) -> list[Practitioner]:
    """Keep the professionals whose names start with the given words (accent-free)."""

    def starts(words: str, texts: list[str]) -> bool:
        return all(any(fold(t).startswith(w) for t in texts) for w in fold(words).split())

    return [
        p
        for p in found
        if (not family or starts(family, [p.last_name]))
        and (not given or starts(given, [p.first_name]))
        and (not name or starts(name, [p.last_name, p.first_name]))
    ]
