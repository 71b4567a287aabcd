"""The client address behind reverse proxies (core.proxies): what a client writes in
X-Forwarded-For never decides its address."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.core.proxies import client_address, parse_trusted_proxies

public_v4 = st.ip_addresses(v=4).filter(lambda a: a.is_global).map(str)
anything = st.lists(
    st.one_of(public_v4, st.text(alphabet="0123456789.:abcdef []x", max_size=20)), max_size=5
)


def header(hops) -> str:
    return ", ".join(hops)


@given(public_v4, anything)
def test_without_trusted_proxies_the_header_is_ignored(remote, forged):
    assert client_address(remote, header(forged), parse_trusted_proxies("")) == remote


@given(public_v4, anything)
def test_one_counted_proxy_takes_the_address_it_appended(client, forged):
    proxy = "10.0.0.5"
    forwarded = header([*forged, client])  # the proxy appends the client it saw
    assert client_address(proxy, forwarded, parse_trusted_proxies("1")) == client


@given(public_v4, anything)
def test_two_counted_proxies(client, forged):
    forwarded = header([*forged, client, "10.0.0.9"])  # outer proxy, then inner proxy
    assert client_address("10.0.0.5", forwarded, parse_trusted_proxies("2")) == client


@given(public_v4, anything)
def test_named_proxies_are_walked_from_the_right(client, forged):
    trusted = parse_trusted_proxies("10.0.0.0/24, 192.168.1.1")
    forwarded = header([*forged, client, "192.168.1.1"])
    assert client_address("10.0.0.5", forwarded, trusted) == client


@given(public_v4, anything)
def test_a_request_not_from_a_named_proxy_keeps_its_own_address(remote, forged):
    trusted = parse_trusted_proxies("10.0.0.0/24")
    assert client_address(remote, header(forged), trusted) == remote


def test_addresses_are_normalised():
    trusted = parse_trusted_proxies("1")
    assert client_address("10.0.0.5", "[2001:DB8::1]:443", trusted) == "2001:db8::1"
    assert client_address("10.0.0.5", "203.0.113.7:51234", trusted) == "203.0.113.7"
    assert client_address("::ffff:10.0.0.5", "", trusted) == "10.0.0.5"
    assert client_address("not an address", "203.0.113.7", trusted) is None


@pytest.mark.parametrize("value", ["proxy", "10.0.0.300", "11", "10.0.0.1, nope"])
def test_malformed_settings_are_refused(value):
    with pytest.raises(ValueError, match="OPENDUI_TRUSTED_PROXIES"):
        parse_trusted_proxies(value)


def test_settings_forms():
    assert parse_trusted_proxies(" ").configured is False
    assert parse_trusted_proxies("2").count == 2
    nets = parse_trusted_proxies("10.0.0.1,2001:db8::/32").networks
    assert nets == (ipaddress.ip_network("10.0.0.1/32"), ipaddress.ip_network("2001:db8::/32"))
