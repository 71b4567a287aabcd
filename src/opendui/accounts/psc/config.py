"""`psc_config()`: the Pro Santé Connect settings (OPENDUI_PSC_*) as one value."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# PSC publishes its metadata at this non-standard path; other providers at the standard one.
PSC_DISCOVERY_PATH = "/.well-known/wallet-openid-configuration"
STANDARD_DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class PscConfig:
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str
    acr: str
    cert_file: str = ""
    key_file: str = ""
    timeout: float = 10.0
    leeway: int = 120
    metadata_ttl: int = 3600

    @property
    def client_cert(self) -> tuple[str, str] | None:
        """The client TLS certificate for the provider, when both files are configured."""
        if self.cert_file and self.key_file:
            return (self.cert_file, self.key_file)
        return None


def psc_enabled() -> bool:
    """PSC login is offered only when an issuer is configured."""
    return bool(getattr(settings, "PSC_ISSUER", ""))


def psc_config() -> PscConfig | None:
    """The configuration read from the settings at call time (the demo sets the issuer after
    start-up), or None when PSC is not configured."""
    issuer = (getattr(settings, "PSC_ISSUER", "") or "").strip().rstrip("/")
    if not issuer:
        return None
    discovery = (getattr(settings, "PSC_DISCOVERY_URL", "") or "").strip()
    return PscConfig(
        issuer=issuer,
        discovery_url=discovery or issuer + STANDARD_DISCOVERY_PATH,
        client_id=settings.PSC_CLIENT_ID,
        client_secret=settings.PSC_CLIENT_SECRET,
        scopes=settings.PSC_SCOPES,
        acr=settings.PSC_ACR,
        cert_file=settings.PSC_CERT_FILE,
        key_file=settings.PSC_KEY_FILE,
        timeout=float(settings.PSC_TIMEOUT),
        leeway=int(settings.PSC_LEEWAY),
        metadata_ttl=int(settings.PSC_METADATA_TTL),
    )
