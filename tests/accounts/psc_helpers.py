"""Driving the Pro Santé Connect simulator's authorization page from Django's test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests


def authorize_params(start_response) -> tuple[str, dict[str, str]]:
    """(authorization endpoint, parameters) of the redirect answered by /connexion/psc/."""
    assert start_response.status_code == 302, start_response.content[:300]
    url = urlsplit(start_response.url)
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    return f"{url.scheme}://{url.netloc}{url.path}", params


def pick_card(start_response, card: str = "medecin", action: str = "login") -> str:
    """Submit the simulator's form; returns the local path + query it redirects back to."""
    endpoint, params = authorize_params(start_response)
    answer = requests.post(
        endpoint, data={**params, "card": card, "action": action}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text[:300]
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def psc_login(client, card: str = "medecin", action: str = "login"):
    """The whole round trip; returns the response of the redirect URI."""
    return client.get(pick_card(client.get("/connexion/psc/"), card, action))
