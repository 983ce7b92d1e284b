"""Outbound clients share one TLS context that checks certificates and host names."""

from __future__ import annotations

import ssl

import httpx

from supplyguard.adapters.http import http_client, tls_context


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
