"""Deployment checks: `opendui check --deploy` fails while demo settings or accounts are active."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

DEMO_EMAIL_DOMAIN = "@demo.opendui.fr"


@register(Tags.security, deploy=True)
def refuse_demo_configuration(app_configs, **kwargs) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.DEMO:
        errors.append(
            Error(
                "Le mode démonstration est actif (OPENDUI_DEMO).",
                hint="Retirez OPENDUI_DEMO en production.",
                id="opendui.E001",
            )
        )
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        errors.append(
            Error(
                "La clé secrète est celle de la démonstration ou trop courte.",
                hint="Définissez OPENDUI_SECRET_KEY (au moins 50 caractères aléatoires).",
                id="opendui.E002",
            )
        )
    if settings.DEBUG:
        errors.append(Error("OPENDUI_DEBUG est actif.", id="opendui.E003"))
    if not settings.AUDIT_ENABLED:
        errors.append(
            Error(
                "Le journal d'audit est désactivé (OPENDUI_AUDIT_ENABLED).",
                hint="La traçabilité des accès est obligatoire.",
                id="opendui.E004",
            )
        )
    if not settings.SESSION_COOKIE_SECURE:
        errors.append(
            Error(
                "Les cookies de session ne sont pas marqués Secure.",
                hint="Servez OpenDUI en HTTPS et retirez OPENDUI_SECURE_COOKIES=0.",
                id="opendui.E005",
            )
        )
    errors.extend(_audit_key())
    errors.extend(_insi_endpoint())
    errors.extend(_annuaire_url())
    errors.extend(_psc_issuer())
    errors.extend(_dmp_endpoint())
    errors.extend(_email())
    errors.extend(_demo_accounts())
    return errors


def _audit_key() -> list[Error]:
    """The audit chain's key must be configured, readable, and not the demo's."""
    from opendui.audit.keys import FROM_DEMO_FILE, AuditKeyError, load_keyring

    try:
        keyring = load_keyring()
    except AuditKeyError as error:
        return [
            Error(
                str(error),
                hint='Générez une clé (python -c "import secrets; print(secrets.token_hex(32))") '
                "et donnez-la par OPENDUI_AUDIT_KEY_FILE, hors de la base de données.",
                id="opendui.E011",
            )
        ]
    if keyring.source == FROM_DEMO_FILE:
        return [
            Error(
                f"La clé du journal d'audit est celle de la démonstration ({keyring.path}).",
                hint="Définissez OPENDUI_AUDIT_KEY_FILE (clé propre à l'installation).",
                id="opendui.E012",
            )
        ]
    return []


def _insi_endpoint() -> list[Error]:
    """A configured INSi endpoint must be the real téléservice: HTTPS, not this machine."""
    import ipaddress
    from urllib.parse import urlsplit

    endpoint = getattr(settings, "INSI_ENDPOINT", "")
    if not endpoint:
        return []
    url = urlsplit(endpoint)
    host = (url.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if url.scheme != "https" or loopback:
        return [
            Error(
                "Le téléservice INSi configuré n'est pas un service HTTPS distant "
                "(simulateur ou adresse locale).",
                hint="OPENDUI_INSI_ENDPOINT doit désigner le téléservice de l'Assurance maladie.",
                id="opendui.E007",
            )
        ]
    return []


def _annuaire_url() -> list[Error]:
    """A configured Annuaire Santé must be the ANS gateway: HTTPS, not this machine (the
    demo's simulator listens on loopback), with an API key."""
    from urllib.parse import urlsplit

    url = (getattr(settings, "ANNUAIRE_URL", "") or "").strip()
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme != "https" or _is_loopback(parts.hostname or ""):
        return [
            Error(
                "L'Annuaire Santé configuré n'est pas un service HTTPS distant "
                "(simulateur ou adresse locale).",
                hint="OPENDUI_ANNUAIRE_URL doit désigner l'API de l'ANS "
                "(https://gateway.api.esante.gouv.fr/fhir/v2).",
                id="opendui.E030",
            )
        ]
    if not getattr(settings, "ANNUAIRE_API_KEY", ""):
        return [
            Error(
                "OPENDUI_ANNUAIRE_URL est renseigné sans clé d'API.",
                hint="Renseignez OPENDUI_ANNUAIRE_API_KEY (clé du portail API de l'ANS).",
                id="opendui.E031",
            )
        ]
    return []


def _psc_issuer() -> list[Error]:
    """A configured Pro Santé Connect issuer must be a remote HTTPS provider (not the simulator),
    and so must its discovery document; a client certificate needs its key."""
    issuer = getattr(settings, "PSC_ISSUER", "")
    if not issuer:
        return []
    errors: list[Error] = []
    for name, url in (
        ("OPENDUI_PSC_ISSUER", issuer),
        ("OPENDUI_PSC_DISCOVERY_URL", getattr(settings, "PSC_DISCOVERY_URL", "")),
    ):
        if url and (not url.lower().startswith("https://") or _is_loopback(_host_of(url))):
            errors.append(
                Error(
                    f"{name} ne désigne pas un fournisseur HTTPS distant "
                    "(simulateur Pro Santé Connect ou adresse locale).",
                    hint="Indiquez l'émetteur de Pro Santé Connect (https://auth.esw.esante.gouv.fr/"
                    "auth/realms/esante-wallet) ou retirez OPENDUI_PSC_ISSUER.",
                    id="opendui.E013",
                )
            )
    if not (getattr(settings, "PSC_CLIENT_ID", "") and getattr(settings, "PSC_CLIENT_SECRET", "")):
        errors.append(
            Error(
                "Pro Santé Connect est configuré sans identifiant ou secret client.",
                hint="Renseignez OPENDUI_PSC_CLIENT_ID et OPENDUI_PSC_CLIENT_SECRET.",
                id="opendui.E014",
            )
        )
    if bool(getattr(settings, "PSC_CERT_FILE", "")) != bool(getattr(settings, "PSC_KEY_FILE", "")):
        errors.append(
            Error(
                "Le certificat client Pro Santé Connect est incomplet.",
                hint="Renseignez OPENDUI_PSC_CERT_FILE et OPENDUI_PSC_KEY_FILE ensemble.",
                id="opendui.E015",
            )
        )
    return errors


def _dmp_endpoint() -> list[Error]:
    """A configured DMP must be the national service: HTTPS, not this machine (the demo's
    simulator listens on loopback), with the establishment certificate and the software's
    DMP identifiers."""
    endpoint = (getattr(settings, "DMP_ENDPOINT", "") or "").strip()
    if not endpoint:
        return []
    errors: list[Error] = []
    if not endpoint.lower().startswith("https://") or _is_loopback(_host_of(endpoint)):
        errors.append(
            Error(
                "Le DMP configuré n'est pas un service HTTPS distant (simulateur ou adresse locale).",
                hint="OPENDUI_DMP_ENDPOINT doit désigner les services DMPi "
                "(https://lps2.dmp.gouv.fr/si-dmp-server/v2/services).",
                id="opendui.E040",
            )
        )
    if not (getattr(settings, "DMP_CERT_FILE", "") and getattr(settings, "DMP_KEY_FILE", "")):
        errors.append(
            Error(
                "Le DMP est configuré sans certificat d'établissement.",
                hint="Renseignez OPENDUI_DMP_CERT_FILE et OPENDUI_DMP_KEY_FILE (fichiers PEM).",
                id="opendui.E041",
            )
        )
    if not (getattr(settings, "DMP_LPS_ID", "") and getattr(settings, "DMP_HOMOLOGATION", "")):
        errors.append(
            Error(
                "Le DMP est configuré sans les identifiants du logiciel.",
                hint="Renseignez OPENDUI_DMP_LPS_ID et OPENDUI_DMP_HOMOLOGATION "
                "(numéro d'homologation DMP).",
                id="opendui.E042",
            )
        )
    return errors


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


def _email() -> list[CheckMessage]:
    """Password links and lock notices must reach people: a real SMTP server, a real sender."""
    errors: list[CheckMessage] = []
    mailer = settings.MAILERS.get("default", {})
    options = mailer.get("OPTIONS", {})
    if not settings.EMAIL_URL or not mailer.get("BACKEND", "").endswith("smtp.EmailBackend"):
        errors.append(
            Error(
                "Aucun serveur de messagerie n'est configuré : les e-mails seraient écrits "
                "dans des fichiers (démonstration).",
                hint="Définissez OPENDUI_EMAIL_URL (ex. smtp+tls://utilisateur:motdepasse@"
                "smtp.exemple.fr:587).",
                id="opendui.E008",
            )
        )
    elif not (options.get("use_tls") or options.get("use_ssl")) and not _is_loopback(
        options.get("host", "")
    ):
        errors.append(
            Warning(
                "Le serveur de messagerie est joint sans chiffrement (smtp://) : les liens de "
                "réinitialisation de mot de passe circuleraient en clair.",
                hint="Utilisez smtp+tls:// (STARTTLS) ou smtps:// dans OPENDUI_EMAIL_URL.",
                id="opendui.W010",
            )
        )
    if not getattr(settings, "EMAIL_FROM_SET", False):
        errors.append(
            Error(
                "L'adresse d'expédition des e-mails n'est pas configurée.",
                hint="Définissez OPENDUI_EMAIL_FROM (ex. OpenDUI <ne-pas-repondre@exemple.fr>).",
                id="opendui.E009",
            )
        )
    return errors


def _is_loopback(host: str) -> bool:
    import ipaddress

    host = (host or "").lower()
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _demo_accounts() -> list[Error]:
    from opendui.accounts.models import User

    try:
        count = User.objects.filter(email__endswith=DEMO_EMAIL_DOMAIN, is_active=True).count()
    except DatabaseError:
        return []  # database not migrated yet: nothing to refuse
    if not count:
        return []
    return [
        Error(
            f"{count} compte(s) de démonstration ({DEMO_EMAIL_DOMAIN}) sont actifs.",
            hint="Désactivez-les ou utilisez une base sans données de démonstration.",
            id="opendui.E006",
        )
    ]
