"""Outbound clients share one TLS context that checks certificates and host names."""

from __future__ import annotations

import ssl

import httpx

from supplyguard.adapters.http import http_client, is_plain_http, tls_context


def test_clients_share_one_context_made_once() -> None:
    assert tls_context() is tls_context()
    with http_client() as first, http_client(timeout=5) as second:
        contexts = {id(c._transport._pool._ssl_context) for c in (first, second)}  # type: ignore[attr-defined]
    assert contexts == {id(tls_context())}


def test_the_shared_context_verifies_servers_as_httpx_would() -> None:
    context = tls_context()
    default = httpx.create_ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version == default.minimum_version
    assert len(context.get_ca_certs()) == len(default.get_ca_certs()) > 0


def test_options_reach_the_client() -> None:
    with http_client(headers={"X-Test": "1"}, timeout=7) as client:
        assert client.headers["X-Test"] == "1"
        assert client.timeout.read == 7


def test_a_plain_http_client_reads_no_ca_bundle_and_cannot_be_led_to_unverified_tls() -> None:
    with http_client(plain_http=True) as client:
        context = client._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context is not tls_context()
    assert context.get_ca_certs() == []  # nothing trusted: any TLS server fails verification
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_only_http_addresses_are_plain() -> None:
    assert is_plain_http("http://10.0.0.7:8080") and is_plain_http("HTTP://partner.example")
    assert not is_plain_http("https://partner.example") and not is_plain_http("httpx://odd")
