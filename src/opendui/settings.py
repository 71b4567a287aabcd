"""OpenDUI settings, configured only through OPENDUI_* environment variables.

The demo works with none set. Production must set at least OPENDUI_SECRET_KEY,
OPENDUI_DATABASE_URL and OPENDUI_ALLOWED_HOSTS; `opendui check --deploy` refuses
the demo defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from opendui.core.email_url import mailers_setting
from opendui.core.proxies import parse_trusted_proxies
from opendui.documents.storage_config import records_storage

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"OPENDUI_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "oui", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


# Demo mode: demo data, demo accounts and insecure defaults are allowed.
DEMO = env_bool("DEMO")
DEBUG = env_bool("DEBUG")

# The demo key is public on purpose: `opendui check --deploy` refuses it.
DEMO_SECRET_KEY = "opendui-demo-only-secret-key-never-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", DEMO_SECRET_KEY)

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "opendui.core",
    "opendui.geography",
    "opendui.nomenclatures",
    "opendui.organisations",
    "opendui.accounts",
    "opendui.audit",
    "opendui.persons",
    "opendui.stays",
    "opendui.directory",
    "opendui.administrative",
    "opendui.jobs",
    "opendui.interop.insi",
    "opendui.accompaniment",
    "opendui.agenda",
    "opendui.incidents",
    "opendui.evaluations",
    "opendui.notes",
    "opendui.documents",
    "opendui.interop.dmp",
    "opendui.pilotage",
    "opendui.programme",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "opendui.core.forms.FormTokenMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "opendui.core.middleware.SecurityHeadersMiddleware",
    "opendui.accounts.middleware.SessionLimitsMiddleware",
    "opendui.core.middleware.LoginRequiredMiddleware",
    "opendui.accounts.middleware.PasswordChangeRequiredMiddleware",
    "opendui.core.middleware.CurrentFacilityMiddleware",
]

ROOT_URLCONF = "opendui.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opendui.core.context_processors.shell",
            ],
        },
    },
]

WSGI_APPLICATION = "opendui.wsgi.application"

DEFAULT_DATABASE_URL = "sqlite:///" + str(PROJECT_DIR / "var" / "opendui.sqlite3")
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off on long analytical scans, while here it added
    # 1.8 s of compilation to a 1.8 s indicator query (docs/benchmarks.md, history).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the audit writer appends; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    _sqlite_name = str(DATABASES["default"].get("NAME") or "")
    if _sqlite_name and _sqlite_name != ":memory:" and not _sqlite_name.startswith("file:"):
        Path(_sqlite_name).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["opendui.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "opendui.accounts.passwords.PersonalDataPasswordValidator"},
    {"NAME": "opendui.accounts.passwords.CommonPasswordVariantsValidator"},
    {"NAME": "opendui.accounts.passwords.CnilPasswordValidator"},
]
# Password reset links (self-service and sent by an administrator) are valid this long,
# and only once: the token depends on the password hash, which the reset changes.
PASSWORD_RESET_TIMEOUT = 24 * 3600

# Sessions: expire after inactivity and at most SESSION_MAX_AGE after the login, however
# active the session (SessionLimitsMiddleware).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)
SESSION_MAX_AGE = env_int("SESSION_MAX_AGE", 10 * 3600)
SESSION_COOKIE_AGE = SESSION_MAX_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "opendui.core.views.csrf_failure"
# Cookies are Secure unless the site is served over plain HTTP on loopback (demo).
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=not DEMO and not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0 if DEMO else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env("PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (env("PROXY_SSL_HEADER"), "https")

SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

# Login throttling (accounts.lockout). Per (e-mail, client address): after MAX_FAILURES
# failures, a delay of LOCKOUT_SECONDS, doubled at each further failure up to
# LOCKOUT_MAX_SECONDS (failures are counted over that long). Per e-mail from every
# address: ACCOUNT_MAX_FAILURES failures in LOCKOUT_MAX_SECONDS lock it everywhere for
# LOCKOUT_MAX_SECONDS and notify the administrators. Per address, whatever the e-mails:
# MAX_FAILURES_PER_ADDRESS failures in LOCKOUT_SECONDS.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 24 * 3600)
LOGIN_ACCOUNT_MAX_FAILURES = env_int("LOGIN_ACCOUNT_MAX_FAILURES", 50)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
# Password reset requests, per hour: per client address and per e-mail address.
PASSWORD_RESET_MAX_PER_ADDRESS = env_int("PASSWORD_RESET_MAX_PER_ADDRESS", 10)
PASSWORD_RESET_MAX_PER_EMAIL = env_int("PASSWORD_RESET_MAX_PER_EMAIL", 3)

# The client address (login throttles, audit trail) is read from X-Forwarded-For only
# when this names our reverse proxies: their number, or their addresses/networks
# (core.proxies). Empty: REMOTE_ADDR.
TRUSTED_PROXIES = parse_trusted_proxies(env("TRUSTED_PROXIES"))

# Outgoing e-mail (password reset links, security notices): an SMTP server given as a
# URL (core.email_url), as Django's "default" mailer. Without one, mails are written as
# files into var/mails/ (the demo shows that folder); `opendui check --deploy` refuses
# that in production.
EMAIL_URL = env("EMAIL_URL").strip()
MAILERS = mailers_setting(EMAIL_URL, str(PROJECT_DIR / "var" / "mails"))
EMAIL_FROM_SET = bool(env("EMAIL_FROM").strip())
DEFAULT_FROM_EMAIL = env("EMAIL_FROM").strip() or "OpenDUI <ne-pas-repondre@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Break-the-glass access lasts this long.
BREAK_GLASS_DURATION = env_int("BREAK_GLASS_DURATION", 4 * 3600)

# A grant waiting for a second person's approval (accounts.grants) expires after this
# many days without a decision; it then never takes effect.
GRANT_APPROVAL_DAYS = env_int("GRANT_APPROVAL_DAYS", 7)

# A facility's (or unit's) professionals keep seeing a record this many days after the
# person's last stay there ended or their admission request was closed; afterwards the
# record is archived for that facility (person.view_archived, stays/archiving.py).
ACCESS_AFTER_DISCHARGE_DAYS = max(0, env_int("ACCESS_AFTER_DISCHARGE_DAYS", 30))

# Transmissions: minutes during which the author may still edit a note in place; after
# that a correction is a new version (notes.services).
NOTE_GRACE_MINUTES = env_int("NOTE_GRACE_MINUTES", 15)

# The audit trail must stay on in production; the switch exists for the
# overhead benchmark and is refused by `opendui check --deploy`.
AUDIT_ENABLED = env_bool("AUDIT_ENABLED", default=True)
# The audit chain's HMAC keys, kept outside the database (audit/keys.py): the keys
# themselves, or a file holding them (last one current, earlier ones kept to verify).
# With neither, the key file that `opendui demo` creates under var/ is used, and
# `opendui check --deploy` refuses it.
AUDIT_KEY = env("AUDIT_KEY").strip()
AUDIT_KEY_FILE = env("AUDIT_KEY_FILE").strip()
AUDIT_DEMO_KEY_FILE = str(PROJECT_DIR / "var" / "audit-demo.key")
# The sealer links new events into the keyed chain every AUDIT_SEAL_EVERY seconds (run by
# `opendui worker`); `opendui audit verify` fails on an event left unsealed longer than
# AUDIT_SEAL_WINDOW seconds.
AUDIT_SEAL_EVERY = float(env("AUDIT_SEAL_EVERY", "2") or 2)
AUDIT_SEAL_WINDOW = env_int("AUDIT_SEAL_WINDOW", 300)
# Anchors of the chain head outside the database (audit/anchors.py), written nightly and
# by `opendui audit anchor`: a write-once folder, and/or an S3 bucket with object lock.
AUDIT_ANCHOR_S3_BUCKET = env("AUDIT_ANCHOR_S3_BUCKET").strip()
AUDIT_ANCHOR_S3_PREFIX = env("AUDIT_ANCHOR_S3_PREFIX", "audit-anchors/")
AUDIT_ANCHOR_S3_ENDPOINT_URL = env("AUDIT_ANCHOR_S3_ENDPOINT_URL").strip()
AUDIT_ANCHOR_S3_REGION = env("AUDIT_ANCHOR_S3_REGION").strip()
AUDIT_ANCHOR_S3_ACCESS_KEY_ID = env("AUDIT_ANCHOR_S3_ACCESS_KEY_ID").strip()
AUDIT_ANCHOR_S3_SECRET_ACCESS_KEY = env("AUDIT_ANCHOR_S3_SECRET_ACCESS_KEY").strip()
AUDIT_ANCHOR_S3_LOCK_MODE = env("AUDIT_ANCHOR_S3_LOCK_MODE", "COMPLIANCE").strip().upper()
AUDIT_ANCHOR_S3_RETENTION_DAYS = env_int("AUDIT_ANCHOR_S3_RETENTION_DAYS", 3650)
AUDIT_ANCHOR_DIR = env(
    "AUDIT_ANCHOR_DIR", "" if AUDIT_ANCHOR_S3_BUCKET else str(PROJECT_DIR / "var" / "audit-anchors")
).strip()
# `audit verify` warns when the newest anchor is older than this (seconds): the nightly
# anchoring job is not running.
AUDIT_ANCHOR_MAX_AGE = env_int("AUDIT_ANCHOR_MAX_AGE", 2 * 24 * 3600)

# INSi téléservice (CNAM): search of the INS by traits. An empty endpoint means
# "not configured"; `opendui demo` points it at the loopback simulator. In
# production the endpoint is https and the establishment certificate (CN
# INSI-AUTO or INSI-MANU) is given as PEM files.
INSI_ENDPOINT = env("INSI_ENDPOINT").strip()
INSI_CERT_FILE = env("INSI_CERT_FILE").strip()
INSI_KEY_FILE = env("INSI_KEY_FILE").strip()
INSI_CA_FILE = env("INSI_CA_FILE").strip()
INSI_IDAM = env("INSI_IDAM").strip()  # software authorisation number (CNDA)
INSI_EMITTER = env("INSI_EMITTER", "opendui").strip() or "opendui"
INSI_TIMEOUT = float(env("INSI_TIMEOUT", "10") or 10)
# Periodic re-verification of the INS retrieved from INSi (job `insi.reverify`, daily at
# 02:00): identities not re-verified for this many days are queried again, this many
# persons a minute.
INSI_REVERIFY_DAYS = env_int("INSI_REVERIFY_DAYS", 365)
INSI_REVERIFY_BATCH = env_int("INSI_REVERIFY_BATCH", 20)

# DMP (Mon espace santé), DMPi SOAP services. An empty endpoint means "not configured";
# `opendui demo` points it at the loopback simulator. In production: the base URL of the
# services (https://lps2.dmp.gouv.fr/si-dmp-server/v2/services), the establishment
# certificate (PEM) that authenticates TLS and signs the VIHF, the CA bundle of the DMP's
# server certificate, and the software's DMP identifiers (LPS_ID, homologation number).
DMP_ENDPOINT = env("DMP_ENDPOINT").strip()
DMP_CERT_FILE = env("DMP_CERT_FILE").strip()
DMP_KEY_FILE = env("DMP_KEY_FILE").strip()
DMP_CA_FILE = env("DMP_CA_FILE").strip()
DMP_LPS_ID = env("DMP_LPS_ID").strip()
DMP_HOMOLOGATION = env("DMP_HOMOLOGATION").strip()
DMP_SOURCE_ID = env("DMP_SOURCE_ID").strip()  # OID of the submitting system (sourceId)
DMP_CONNECT_TIMEOUT = float(env("DMP_CONNECT_TIMEOUT", "5") or 5)
DMP_READ_TIMEOUT = float(env("DMP_READ_TIMEOUT", "30") or 30)

# Annuaire Santé (FHIR API of the ANS): base URL (https://gateway.api.esante.gouv.fr/fhir/v2)
# and the key of the ANS API portal (ESANTE-API-KEY header). Unset: `opendui demo` starts
# the loopback simulator; elsewhere the forms say the Annuaire is unreachable.
ANNUAIRE_URL = env("ANNUAIRE_URL").strip()
ANNUAIRE_API_KEY = env("ANNUAIRE_API_KEY").strip()
ANNUAIRE_TIMEOUT = float(env("ANNUAIRE_TIMEOUT", "10") or 10)
ANNUAIRE_PAGE_SIZE = env_int("ANNUAIRE_PAGE_SIZE", 20)
ANNUAIRE_MAX_PAGES = env_int("ANNUAIRE_MAX_PAGES", 5)
# Entries of the directory that came from the Annuaire are checked again after this many days.
ANNUAIRE_REFRESH_DAYS = env_int("ANNUAIRE_REFRESH_DAYS", 1)
# Pro Santé Connect (OpenID Connect login of professionals with their e-CPS). No issuer:
# PSC login is off (no button). `opendui demo` points it at the loopback simulator. PSC
# publishes its metadata at a non-standard path (…/.well-known/wallet-openid-configuration):
# give it in PSC_DISCOVERY_URL; when empty, the issuer's standard path is used.
PSC_ISSUER = env("PSC_ISSUER").strip().rstrip("/")
PSC_DISCOVERY_URL = env("PSC_DISCOVERY_URL").strip()
PSC_CLIENT_ID = env("PSC_CLIENT_ID").strip()
PSC_CLIENT_SECRET = env("PSC_CLIENT_SECRET").strip()
PSC_SCOPES = env("PSC_SCOPES", "openid scope_all").strip() or "openid scope_all"
PSC_ACR = env("PSC_ACR", "eidas1").strip() or "eidas1"
# Client TLS certificate presented to the provider (token endpoint), PEM files.
PSC_CERT_FILE = env("PSC_CERT_FILE").strip()
PSC_KEY_FILE = env("PSC_KEY_FILE").strip()
PSC_TIMEOUT = float(env("PSC_TIMEOUT", "10") or 10)
# Tolerated clock difference with the provider when checking tokens' times (seconds).
PSC_LEEWAY = env_int("PSC_LEEWAY", 120)
# The provider's metadata and keys are kept this long (seconds); an unknown key id
# fetches the keys again at once (key rotation).
PSC_METADATA_TTL = env_int("PSC_METADATA_TTL", 3600)

# Background jobs (Django's Tasks API) stored in the database and run by `opendui worker`.
# A job claimed by a worker that died is taken again after the lease; failed attempts of
# retryable jobs wait BACKOFF_SECONDS, then twice as long at each further attempt.
TASKS = {
    "default": {
        "BACKEND": "opendui.jobs.backend.DatabaseBackend",
        "OPTIONS": {
            "LEASE_SECONDS": env_int("JOBS_LEASE_SECONDS", 300),
            "BACKOFF_SECONDS": env_int("JOBS_BACKOFF_SECONDS", 30),
        },
    }
}

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(PROJECT_DIR / "var" / "static")))
# Person files (documents, photos) live in the "records" storage: a local folder by default,
# never served from a public URL (every download goes through an audited view).
RECORDS_ROOT = Path(env("RECORDS_ROOT", str(PROJECT_DIR / "var" / "records")))
# Largest photo accepted for a person before it is decoded and resized (administrative/photos.py).
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 10 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # OPENDUI_STORAGE_URL=s3://bucket/prefix?endpoint_url=…: S3-compatible object storage
    # (documents/storage_config.py); the local folder above when unset.
    "records": records_storage(
        env("STORAGE_URL"),
        local_root=str(RECORDS_ROOT),
        access_key=env("S3_ACCESS_KEY_ID").strip(),
        secret_key=env("S3_SECRET_ACCESS_KEY").strip(),
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the apps unless collectstatic was run.
WHITENOISE_USE_FINDERS = env_bool("STATIC_FROM_APPS", default=True)
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it to exist

PAGE_SIZE = env_int("PAGE_SIZE", 50)

# Document store (documents/): largest accepted file, after assembling camera images.
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
# Optional antivirus: clamd's address, tcp://host:port or a unix socket path.
CLAMD_URL = env("CLAMD_URL").strip()
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)
# Uploads over DOCUMENT_MAX_BYTES stop while the body is read (documents/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "opendui.documents.uploads.DocumentSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # Request lines carry search terms (names, birth dates): never log them.
        "strip_query": {"()": "opendui.core.logging.StripQueryStringFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["strip_query"]},
    },
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "opendui": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
        # Authlib logs the PKCE verifier at DEBUG: never below WARNING, whatever the root level.
        "authlib": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
