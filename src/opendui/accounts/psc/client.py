"""The Pro Santé Connect relying party, on Authlib: nothing of OAuth or JWT is written here.

Authlib does the authorization request (PKCE S256, state, nonce, kept in the session), the
code exchange and the ID token's signature and claims (iss, aud, exp, iat, nonce) against the
provider's JWKS; it fetches the JWKS again when a token names an unknown key (rotation).
What this module adds, because PSC needs it and Authlib does not do it:

- the provider's metadata and keys are cached per process for PSC_METADATA_TTL seconds
  (Authlib caches them per client object, and a client object lives one request here);
- the `acr` of the ID token must be the configured level (eidas1), and `aud` the client id;
- userinfo may come back as `application/jwt`, verified with joserfc against the same JWKS
  (Authlib's `userinfo()` only reads JSON);
- the client TLS certificate (PSC_CERT_FILE/KEY_FILE) and a timeout on every call;
- failures become `PscFailure(reason)`, a short code for the audit trail and the French
  message of the login page; no token, code or secret is ever put in one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client.apps import DjangoOAuth2App
from authlib.integrations.django_client.integration import DjangoIntegration
from django.http import HttpRequest, HttpResponseRedirect
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from .config import PscConfig

# Signature algorithms accepted for the userinfo JWT: asymmetric ones only (the keys come
# from the provider's JWKS; a shared-secret algorithm would let anyone holding the client
# secret forge a userinfo).
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")

# Why a PSC login failed → the French sentence of the login page.
MESSAGES = {
    "cancelled": "La connexion avec Pro Santé Connect a été annulée.",
    "state": (
        "La réponse de Pro Santé Connect ne correspond à aucune connexion en cours "
        "(lien expiré ou déjà utilisé) : recommencez la connexion."
    ),
    "code": (
        "Le code de connexion de Pro Santé Connect est expiré ou a déjà été utilisé : "
        "recommencez la connexion."
    ),
    "acr": (
        "Pro Santé Connect n'a pas fourni le niveau d'authentification exigé (e-CPS ou "
        "carte CPS) : recommencez avec votre e-CPS."
    ),
    "clock": (
        "Le jeton de Pro Santé Connect est expiré ou daté dans le futur (horloges "
        "désynchronisées) : recommencez la connexion ou prévenez votre administrateur."
    ),
    "token": "La réponse de Pro Santé Connect n'a pas pu être vérifiée : connexion refusée.",
    "userinfo": "Les informations transmises par Pro Santé Connect sont inutilisables.",
    "provider": "Pro Santé Connect a refusé la connexion : recommencez plus tard.",
    "unavailable": (
        "Pro Santé Connect ne répond pas pour le moment : réessayez plus tard ou "
        "connectez-vous avec votre adresse e-mail et votre mot de passe."
    ),
    "configuration": (
        "La connexion avec Pro Santé Connect est mal configurée (certificat client "
        "illisible) : prévenez votre administrateur."
    ),
    "disabled": "Ce compte OpenDUI est désactivé : adressez-vous à votre administrateur.",
    "refused": "La connexion à ce compte est suspendue pour le moment : réessayez plus tard.",
    "not_configured": "La connexion avec Pro Santé Connect n'est pas proposée ici.",
}
CANCEL_ERRORS = {"access_denied", "login_required", "consent_required", "interaction_required"}


class PscFailure(Exception):
    """A PSC login that must not go on; `reason` is a key of MESSAGES."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return MESSAGES.get(self.reason, MESSAGES["token"])


@dataclass(frozen=True)
class PscLogin:
    """A verified PSC authentication: the raw ID token (kept for the logout), its claims, and
    the userinfo claims."""

    id_token: str
    id_claims: dict[str, Any]
    userinfo: dict[str, Any]


# --------------------------------------------------------------------------- metadata cache

_METADATA: dict[str, dict[str, Any]] = {}
_LOCK = threading.Lock()


def forget_provider_metadata() -> None:
    """Drop the cached metadata and keys of every provider (tests, configuration change)."""
    with _LOCK:
        _METADATA.clear()


class PscApp(DjangoOAuth2App):
    """Authlib's Django OpenID client, with the process-wide metadata cache, the client TLS
    certificate and the timeout."""

    def __init__(self, config: PscConfig) -> None:
        self.config = config
        scopes = config.scopes.split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")  # without it no ID token would be asked nor checked
        super().__init__(
            DjangoIntegration("psc"),
            name="psc",
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=config.discovery_url,
            client_kwargs={
                "scope": " ".join(scopes),
                "code_challenge_method": "S256",
                "default_timeout": config.timeout,
            },
        )

    def _with_tls(self, session):
        if self.config.client_cert:
            session.cert = self.config.client_cert
        return session

    def _get_session(self):
        return self._with_tls(super()._get_session())

    def _get_oauth_client(self, **metadata):
        return self._with_tls(super()._get_oauth_client(**metadata))

    def load_server_metadata(self) -> dict[str, Any]:
        key = f"{self.config.discovery_url} {self.config.issuer}"
        with _LOCK:
            cached = _METADATA.get(key)
        if cached is None or time.time() - cached["_loaded_at"] > self.config.metadata_ttl:
            with self._get_session() as session:
                response = session.request("GET", self.config.discovery_url, withhold_token=True)
                response.raise_for_status()
                metadata = response.json()
            if not isinstance(metadata, dict) or metadata.get("issuer") != self.config.issuer:
                # OpenID Connect Discovery §4.3: the metadata must name the configured issuer.
                raise PscFailure("provider")
            metadata["_loaded_at"] = time.time()
            with _LOCK:
                _METADATA[key] = cached = metadata
        self.server_metadata = cached  # shared: fetch_jwk_set() stores the keys in it
        return cached

    def verified_jwt_claims(self, text: str) -> dict[str, Any]:
        """Claims of a JWT signed with one of the provider's keys (refetched once when the
        key id is unknown); iss and aud, when present, must be the provider and this client."""
        metadata = self.load_server_metadata()
        offered = metadata.get("userinfo_signing_alg_values_supported") or metadata.get(
            "id_token_signing_alg_values_supported"
        )
        algorithms = [a for a in (offered or ASYMMETRIC_ALGORITHMS) if a in ASYMMETRIC_ALGORITHMS]
        try:
            token = jwt.decode(
                text, KeySet.import_key_set(self.fetch_jwk_set()), algorithms=algorithms
            )
        except InvalidKeyIdError:
            token = jwt.decode(
                text, KeySet.import_key_set(self.fetch_jwk_set(force=True)), algorithms=algorithms
            )
        registry = jwt.JWTClaimsRegistry(
            leeway=self.config.leeway,
            iss={"value": self.config.issuer},
            aud={"value": self.config.client_id},
        )
        registry.validate(token.claims)
        return dict(token.claims)

    def fetch_userinfo(self, token: dict[str, Any], subject: str) -> dict[str, Any]:
        """The userinfo claims, from JSON or from a signed JWT; `sub` must be the ID token's
        (OpenID Connect Core §5.3.2)."""
        endpoint = self.load_server_metadata().get("userinfo_endpoint")
        if not endpoint:
            raise PscFailure("userinfo")
        response = self.get(endpoint, token=token)
        response.raise_for_status()
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            claims = self.verified_jwt_claims(response.text.strip())
        elif content_type == "application/json":
            claims = response.json()
        else:
            raise PscFailure("userinfo")
        if not isinstance(claims, dict) or claims.get("sub") != subject:
            raise PscFailure("userinfo")
        return claims


def _reason_of_jose_error(error: JoseError) -> str:
    if isinstance(error, ExpiredTokenError):
        return "clock"
    if isinstance(error, (InvalidClaimError, MissingClaimError)) and error.claim in {
        "exp",
        "iat",
        "nbf",
    }:
        return "clock"
    return "token"


# --------------------------------------------------------------------------- the two steps


def authorization_redirect(
    config: PscConfig, request: HttpRequest, redirect_uri: str
) -> HttpResponseRedirect:
    """Send the browser to the provider; state, nonce and PKCE verifier stay in the session."""
    try:
        return PscApp(config).authorize_redirect(request, redirect_uri, acr_values=config.acr)
    except requests.RequestException as exc:
        raise PscFailure("unavailable") from exc
    except OSError as exc:  # unreadable client certificate or key
        raise PscFailure("configuration") from exc
    except (ValueError, RuntimeError, AuthlibBaseError) as exc:  # unusable metadata
        raise PscFailure("provider") from exc


def complete_login(config: PscConfig, request: HttpRequest) -> PscLogin:
    """Check the provider's answer on the redirect URI and fetch the userinfo.

    Raises PscFailure for every refusal: the user cancelled, unknown or replayed state,
    code refused by the provider (expired, already used), ID token not verifiable or not
    for us, acr other than the configured one, clock difference beyond PSC_LEEWAY,
    userinfo unusable, provider unreachable.
    """
    app = PscApp(config)
    error = request.GET.get("error")
    if error:
        state = request.GET.get("state")
        if state:
            app.framework.clear_state_data(request.session, state)
        raise PscFailure("cancelled" if error in CANCEL_ERRORS else "provider")
    claims_options = {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id},
    }
    try:
        token = app.authorize_access_token(
            request, claims_options=claims_options, leeway=config.leeway
        )
        id_claims = token.get("userinfo")
        if not token.get("id_token") or id_claims is None:
            raise PscFailure("token")
        if id_claims.get("acr") != config.acr:
            raise PscFailure("acr")
        userinfo = app.fetch_userinfo(token, id_claims["sub"])
    except MismatchingStateError as exc:
        raise PscFailure("state") from exc
    except OAuthError as exc:
        raise PscFailure("code" if exc.error == "invalid_grant" else "provider") from exc
    except requests.RequestException as exc:
        raise PscFailure("unavailable") from exc
    except OSError as exc:  # unreadable client certificate or key
        raise PscFailure("configuration") from exc
    except JoseError as exc:
        raise PscFailure(_reason_of_jose_error(exc)) from exc
    except AuthlibBaseError as exc:
        error_code = getattr(exc, "error", "")
        raise PscFailure("code" if error_code == "invalid_grant" else "provider") from exc
    except (ValueError, KeyError, TypeError) as exc:  # malformed answers of the provider
        raise PscFailure("token") from exc
    return PscLogin(id_token=token["id_token"], id_claims=dict(id_claims), userinfo=userinfo)


def end_session_url(config: PscConfig, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """The provider's RP-initiated logout URL (id_token_hint, post_logout_redirect_uri, state),
    or None when the provider has no end_session_endpoint or cannot be reached."""
    try:
        result = PscApp(config).create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token
        )
    except (requests.RequestException, OSError, RuntimeError, PscFailure, ValueError):
        return None
    return result["url"]
