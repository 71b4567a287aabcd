"""A loopback OpenID provider shaped like Pro Santé Connect, for the demo and the tests.

Never for production (`opendui check --deploy` refuses a loopback or http issuer). It serves,
under the realm path of PSC (`/auth/realms/esante-wallet`):

- discovery at PSC's path (`/.well-known/wallet-openid-configuration`) and at the standard
  one; with `psc_discovery=False` only at the standard one (a plain OpenID provider);
- the JWKS (an RSA or EC key made at start; `rotate_key()` adds a new one and signs with it);
- an authorization page listing the test e-CPS cards (cards.TEST_CARDS), a French form;
- the token endpoint: client secret (basic or post), single-use codes valid 60 s, the same
  redirect_uri, the PKCE S256 verifier; answers an ID token with `acr`, `nonce`, `idp`;
- userinfo as a signed JWT (`application/jwt`, PSC's claim set) or JSON;
- the end-session endpoint, back to `post_logout_redirect_uri` with `state`.

Knobs for the tests: `acr` (level put in ID tokens), `clock_offset` (seconds added to the
tokens' times), `userinfo_format` ("jwt" or "json"). It logs nothing.

Usage: `server, thread, provider = serve()`; `provider.issuer`; `server.shutdown()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from .cards import CARDS_BY_KEY, TEST_CARDS

REALM_PATH = "/auth/realms/esante-wallet"
PSC_DISCOVERY = "/.well-known/wallet-openid-configuration"
STANDARD_DISCOVERY = "/.well-known/openid-configuration"
DEMO_CLIENT_ID = "opendui-demo"
DEMO_CLIENT_SECRET = "secret-du-simulateur-psc"  # noqa: S105 - public, loopback simulator only
CODE_LIFETIME = 60
TOKEN_LIFETIME = 300
_MAX_BODY = 100_000


@dataclass
class _Grant:
    card_key: str
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    issued_at: float
    used: bool = False


@dataclass
class Provider:
    """State of one simulated provider (keys, codes, access tokens, test knobs)."""

    algorithm: str = "RS256"  # or ES256
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    psc_discovery: bool = True
    acr: str = "eidas1"
    clock_offset: int = 0
    userinfo_format: str = "jwt"
    base_url: str = ""
    keys: list[Any] = field(default_factory=list)
    grants: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.keys:
            self.rotate_key()

    # -------------------------------------------------------------- keys and tokens

    def rotate_key(self) -> str:
        """A new signing key (new kid) published beside the old ones; returns its kid."""
        if self.algorithm == "ES256":
            key = ECKey.generate_key("P-256", auto_kid=True)
        else:
            key = RSAKey.generate_key(2048, auto_kid=True)
        key.ensure_kid()
        with self.lock:
            self.keys.append(key)
        return key.kid

    def jwks(self) -> dict[str, Any]:
        with self.lock:
            keys = list(self.keys)
        published = KeySet(keys).as_dict(private=False)
        for item in published["keys"]:
            item.setdefault("use", "sig")
            item.setdefault("alg", self.algorithm)
        return published

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.keys[-1]
        return jwt.encode({"alg": self.algorithm, "kid": key.kid, "typ": "JWT"}, claims, key)

    @property
    def issuer(self) -> str:
        return self.base_url + REALM_PATH

    @property
    def discovery_url(self) -> str:
        return self.issuer + (PSC_DISCOVERY if self.psc_discovery else STANDARD_DISCOVERY)

    def metadata(self) -> dict[str, Any]:
        base = self.issuer + "/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/auth",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/userinfo",
            "jwks_uri": base + "/certs",
            "end_session_endpoint": base + "/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "scope_all"],
            "acr_values_supported": ["eidas1"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": [self.algorithm],
            "userinfo_signing_alg_values_supported": [self.algorithm],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "SubjectNameID", "given_name", "family_name", "acr"],
        }

    @staticmethod
    def subject(card_key: str) -> str:
        return "psc-" + hashlib.sha256(card_key.encode()).hexdigest()[:24]

    # -------------------------------------------------------------- endpoints

    def authorize_page(self, params: dict[str, str], error: str = "") -> tuple[int, str]:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        cards = "".join(
            f'<p><label><input type="radio" name="card" value="{html.escape(c.key)}"'
            f"{' checked' if i == 0 else ''}> <strong>{html.escape(c.given_name)} "
            f"{html.escape(c.family_name.upper())}</strong> – {html.escape(c.description)} "
            f"<small>({html.escape(c.idnat)})</small></label></p>"
            for i, c in enumerate(TEST_CARDS)
        )
        problem = f'<p role="alert"><strong>{html.escape(error)}</strong></p>' if error else ""
        body = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect – simulateur</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto;line-height:1.5}}
fieldset{{border:1px solid #888;padding:1rem}} button{{font-size:1rem;padding:.4rem 1rem}}
:focus{{outline:3px solid #1d4ed8;outline-offset:2px}}</style></head><body>
<h1>Pro Santé Connect – simulateur</h1>
<p>Simulateur local de démonstration : aucune vraie carte, aucun vrai professionnel.</p>
{problem}
<form method="post">{hidden}
<fieldset><legend>Cartes e-CPS de test</legend>{cards}</fieldset>
<p><button type="submit" name="action" value="login">Se connecter avec cette e-CPS</button>
<button type="submit" name="action" value="cancel">Annuler</button></p>
</form></body></html>"""
        return (400 if error else 200), body

    def check_authorization_request(self, params: dict[str, str]) -> str:
        """Why this authorization request is refused, or ""."""
        if params.get("client_id") != self.client_id:
            return "Client inconnu."
        if params.get("response_type") != "code":
            return "response_type=code attendu."
        if "openid" not in params.get("scope", "").split():
            return "La portée « openid » est obligatoire."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE S256 obligatoire."
        if not params.get("state") or not params.get("nonce"):
            return "state et nonce obligatoires."
        redirect = urlsplit(params.get("redirect_uri", ""))
        if redirect.scheme not in ("http", "https") or not redirect.netloc:
            return "redirect_uri invalide."
        return ""

    def issue_code(self, params: dict[str, str], card_key: str) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.grants[code] = _Grant(
                card_key=card_key,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params["nonce"],
                challenge=params["code_challenge"],
                issued_at=time.time(),
            )
        return code

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                return 401, {"error": "invalid_client"}
            from urllib.parse import unquote_plus

            client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
        if client_id != self.client_id or not hmac.compare_digest(
            client_secret.encode(), self.client_secret.encode()
        ):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            grant = self.grants.get(form.get("code", ""))
            if grant is None or grant.used:
                return 400, {"error": "invalid_grant", "error_description": "code inconnu"}
            grant.used = True  # single use, even when the rest is refused
        if time.time() - grant.issued_at > CODE_LIFETIME:
            return 400, {"error": "invalid_grant", "error_description": "code expiré"}
        if grant.client_id != client_id or form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not verifier or not hmac.compare_digest(challenge, grant.challenge):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time()) + self.clock_offset
        access_token = secrets.token_urlsafe(32)
        with self.lock:
            self.access_tokens[access_token] = (grant.card_key, time.time() + TOKEN_LIFETIME)
        id_token = self.sign(
            {
                "iss": self.issuer,
                "sub": self.subject(grant.card_key),
                "aud": client_id,
                "azp": client_id,
                "exp": now + TOKEN_LIFETIME,
                "iat": now,
                "auth_time": now,
                "nonce": grant.nonce,
                "acr": self.acr,
                "idp": "PSC",
            }
        )
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": id_token,
            "scope": "openid scope_all",
        }

    def userinfo(self, authorization: str) -> tuple[int, str, str]:
        """(status, content type, body)."""
        token = authorization[7:] if authorization.lower().startswith("bearer ") else ""
        with self.lock:
            entry = self.access_tokens.get(token)
        if entry is None or entry[1] < time.time():
            return 401, "application/json", json.dumps({"error": "invalid_token"})
        card = CARDS_BY_KEY[entry[0]]
        claims = card.userinfo(self.subject(card.key))
        if self.userinfo_format == "json":
            return 200, "application/json", json.dumps(claims)
        now = int(time.time()) + self.clock_offset
        claims.update({"iss": self.issuer, "aud": self.client_id, "iat": now})
        return 200, "application/jwt", self.sign(claims)


# --------------------------------------------------------------------------- WSGI


def _read_form(environ) -> dict[str, str]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(min(length, _MAX_BODY)) if length > 0 else b""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _query(environ) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _with_params(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def make_app(provider: Provider):
    base = REALM_PATH + "/protocol/openid-connect"
    auth_params = (
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "acr_values",
    )

    def app(environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")

        def respond(status: int, content_type: str, body: str, headers=()):
            data = body.encode()
            start_response(
                f"{status} {_REASONS.get(status, 'OK')}",
                [
                    ("Content-Type", content_type),
                    ("Content-Length", str(len(data))),
                    ("Cache-Control", "no-store"),
                    *headers,
                ],
            )
            return [data]

        def redirect(url: str):
            start_response("302 Found", [("Location", url), ("Content-Length", "0")])
            return [b""]

        discovery_paths = {REALM_PATH + STANDARD_DISCOVERY}
        if provider.psc_discovery:
            discovery_paths.add(REALM_PATH + PSC_DISCOVERY)
        if path in discovery_paths:
            return respond(200, "application/json", json.dumps(provider.metadata()))
        if path == base + "/certs":
            return respond(200, "application/json", json.dumps(provider.jwks()))
        if path == base + "/auth":
            params = _query(environ) if method == "GET" else _read_form(environ)
            params = {k: params[k] for k in auth_params if k in params} | (
                {"card": params.get("card", ""), "action": params.get("action", "")}
                if method == "POST"
                else {}
            )
            problem = provider.check_authorization_request(params)
            if problem:
                # Never redirect to an unchecked redirect_uri: the error is shown here.
                return respond(
                    400, "text/html; charset=utf-8", provider.authorize_page({}, problem)[1]
                )
            if method == "POST":
                if params.get("action") == "cancel":
                    return redirect(
                        _with_params(
                            params["redirect_uri"],
                            {"error": "access_denied", "state": params["state"]},
                        )
                    )
                card = params.get("card", "")
                if card not in CARDS_BY_KEY:
                    shown = {k: params[k] for k in auth_params if k in params}
                    status, page = provider.authorize_page(shown, "Choisissez une carte e-CPS.")
                    return respond(status, "text/html; charset=utf-8", page)
                code = provider.issue_code(params, card)
                return redirect(
                    _with_params(params["redirect_uri"], {"code": code, "state": params["state"]})
                )
            status, page = provider.authorize_page(params)
            return respond(status, "text/html; charset=utf-8", page)
        if path == base + "/token" and method == "POST":
            status, payload = provider.token(
                _read_form(environ), environ.get("HTTP_AUTHORIZATION", "")
            )
            return respond(status, "application/json", json.dumps(payload))
        if path == base + "/userinfo":
            status, content_type, body = provider.userinfo(environ.get("HTTP_AUTHORIZATION", ""))
            return respond(status, content_type, body)
        if path == base + "/logout":
            params = _query(environ)
            target = params.get("post_logout_redirect_uri", "")
            if urlsplit(target).scheme in ("http", "https"):
                extra = {"state": params["state"]} if params.get("state") else {}
                return redirect(_with_params(target, extra) if extra else target)
            return respond(
                200,
                "text/html; charset=utf-8",
                '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Déconnecté</title>'
                "<p>Vous êtes déconnecté de Pro Santé Connect (simulateur).</p></html>",
            )
        return respond(404, "text/plain; charset=utf-8", "Introuvable\n")

    return app


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(host: str = "127.0.0.1", port: int = 0, provider: Provider | None = None):
    """Start the simulator in a daemon thread: (server, thread, provider)."""
    provider = provider or Provider()
    server = make_server(
        host,
        port,
        make_app(provider),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    bound_host, bound_port = server.server_address[:2]
    provider.base_url = f"http://{bound_host}:{bound_port}"
    thread = threading.Thread(target=server.serve_forever, name="psc-simulator", daemon=True)
    thread.start()
    return server, thread, provider
