"""OPENDUI_EMAIL_URL (core.email_url)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.core.email_url import parse_email_url


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "ssl"),
    [
        ("smtp://relay.local", "relay.local", 25, False, False),
        ("smtp+tls://u:p@smtp.example.org:587", "smtp.example.org", 587, True, False),
        ("smtp+tls://u:p@smtp.example.org", "smtp.example.org", 587, True, False),
        ("smtps://u:p@smtp.example.org", "smtp.example.org", 465, False, True),
        ("SMTPS://u:p@[2001:db8::25]:2465", "2001:db8::25", 2465, False, True),
    ],
)
def test_schemes(url, host, port, tls, ssl):
    config = parse_email_url(url)
    assert (config.host, config.port, config.use_tls, config.use_ssl) == (host, port, tls, ssl)


def test_credentials_and_timeout():
    config = parse_email_url("smtp+tls://opendui%40example.org:p%3As%2Fs@mx.example.org?timeout=3")
    assert (config.user, config.password, config.timeout) == ("opendui@example.org", "p:s/s", 3.0)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://example.org",
        "smtp://",
        "smtp://host:99999",
        "smtp://h?timeout=x",
        "smtp://h?timeout=0",
    ],
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(ValueError, match="OPENDUI_EMAIL_URL"):
        parse_email_url(url)


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_any_credentials_survive_percent_encoding(user, password):
    url = f"smtp+tls://{quote(user, safe='')}:{quote(password, safe='')}@mx.example.org:587"
    config = parse_email_url(url)
    assert (config.user, config.password) == (user, password)
