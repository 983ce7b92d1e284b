"""Outbound HTTP clients (partner nodes, list downloads) without a CA bundle read per client.

``httpx.Client()`` builds a fresh TLS context each time, reading the whole CA bundle: 35 to 60 ms of
CPU on the development VM, paid by every sync, witness round and watch-list pull, even against an
``http://`` partner on a private network. Here the verifying context is made once per process, as
httpx would make it (``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` where set, else certifi's bundle;
certificates and host names checked), and shared: an ``ssl.SSLContext`` may serve many
connections at once. A client that only talks plain HTTP to one base URL (``plain_http=True``)
does not load it at all: its context trusts no certificate, so a TLS connection it might still be
led to fails instead of going unverified.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx


@cache
def tls_context() -> ssl.SSLContext:
    """The process's verifying client TLS context, made on first use."""
    return httpx.create_ssl_context()


def _trusting_no_one() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # certificates and host names required
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context  # and no CA loaded: no server can be verified


def http_client(*, plain_http: bool = False, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` with ``options``; ``plain_http`` where every request goes to ``http://``."""
    return httpx.Client(verify=_trusting_no_one() if plain_http else tls_context(), **options)


def is_plain_http(url: str) -> bool:
    """Whether ``url`` is a plain ``http://`` address (no TLS)."""
    return url[:7].lower() == "http://"
