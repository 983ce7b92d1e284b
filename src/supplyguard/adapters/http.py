"""Outbound HTTP clients (partner nodes, list downloads) that share one TLS context per process.

``httpx.Client()`` builds a fresh TLS context each time, reading the whole CA bundle: 35 to 60 ms of
CPU on the development VM, paid by every sync, witness round and watch-list pull even against an
``http://`` partner. The context is made once, as httpx would make it (``SSL_CERT_FILE`` or
``SSL_CERT_DIR`` where set, else certifi's bundle; certificates and host names checked), and
shared: an ``ssl.SSLContext`` may serve many connections at once.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx


@cache
def tls_context() -> ssl.SSLContext:
    """The process's client TLS context, made on first use."""
    return httpx.create_ssl_context()


def http_client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` with ``options`` that verifies servers with :func:`tls_context`."""
    return httpx.Client(verify=tls_context(), **options)
