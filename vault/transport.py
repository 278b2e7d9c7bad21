"""How credbot's hvac clients send their requests: straight through ``urllib3``, not ``requests``.

hvac's adapters (``hvac.adapters.JSONAdapter``, which credbot's clients keep) build the
request (headers, token, namespace, wrap TTL) and read the answer (``raise_for_error``, JSON),
and hand the HTTP exchange to their ``session``. :class:`Urllib3Session` is that session. It
does what ``requests.Session.request`` did for Vault's calls, on the ``urllib3`` pools
``requests`` itself uses underneath, without what costs ``requests`` most per call and Vault
does not need: preparing a request object, cookie jars, hooks, ``requests``' own redirect loop.
A call to Vault (``auth/token/lookup-self``, with hvac's adapter and ``vault.client`` around
it) costs 0.62 ms of client CPU this way, 1.11 ms through ``requests``: a reveal makes four,
on a CPU-bound server.

What it keeps, as ``requests`` did it:

- TLS verification against ``certifi``'s bundle, a CA file or an OpenSSL-hashed CA directory
  (``verify``), a client certificate if one is given (``cert``);
- the proxy the environment names for Vault's address, read once when the client is made
  (:func:`environment_session`), with ``Proxy-Authorization`` from the proxy URL's user part;
  a ``~/.netrc`` login for Vault's host as HTTP basic auth;
- the timeout for connecting and for each read; no retries of its own (``vault.client``
  decides those); redirects followed (at most 30, method and body kept on 307/308, the
  ``Authorization`` header dropped when the host changes);
- failures raised as the ``requests`` exception ``requests`` raises for them
  (``ConnectionError``, ``ConnectTimeout``, ``ReadTimeout``, ``SSLError``, ``ProxyError``,
  ``TooManyRedirects``), and answers returned as ``requests.Response``, so hvac and
  ``vault.client.translate`` read them unchanged.
"""

from __future__ import annotations

import json as jsonlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import requests
import requests.structures
import requests.utils
import urllib3
import urllib3.exceptions as u3

from vault.errors import UnsupportedProxy

__all__ = ["MAX_REDIRECTS", "Urllib3Session", "environment_session"]

PROXY_SCHEMES = ("http", "https")
"""The proxies ``urllib3`` speaks to without extra packages (``socks5`` needs PySocks)."""

MAX_REDIRECTS = 30
"""As ``requests`` (``Session.max_redirects``)."""

POOL_SIZE = 10
"""Connections kept per host, as ``requests`` (``DEFAULT_POOLSIZE``); more are opened, not
waited for, when more calls run at once."""

_RETRIES = urllib3.Retry(
    total=None,
    connect=0,
    read=False,
    status=0,
    other=0,
    redirect=MAX_REDIRECTS,
    respect_retry_after_header=False,
)
"""No retry of a failed exchange (``requests``' ``Retry(0, read=False)``: a read failure is
raised as it is), but redirects followed, which ``requests`` did in its own loop."""


def environment_session(
    url: str, verify: bool | str, cert: str | tuple[str, str] | None = None
) -> Urllib3Session:
    """A session for Vault at ``url`` that took from the environment, once, what ``requests``
    would otherwise read on every call: the proxy for ``url`` (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``ALL_PROXY``, none when ``NO_PROXY`` covers its host), the CA bundle
    (``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``, only when ``verify`` is ``True``: a
    ``VAULT_CACERT``/``VAULT_CAPATH`` given as ``verify`` wins) and a ``~/.netrc`` login for
    its host. ``cert`` is the client certificate, if any. The environment is read with
    ``requests``' own functions, so it means what it meant when ``requests`` sent the calls.
    Raises ``UnsupportedProxy`` when that proxy is not ``http(s)://``.

    Reading them per call walks the whole environment several times and stats files. What the
    environment said when the client was made holds for its life, a redirect to another node
    included.
    """
    settings = requests.Session().merge_environment_settings(url, {}, None, verify, None)
    proxies: dict[str, str] = settings["proxies"]
    proxy = requests.utils.select_proxy(url, proxies)
    if proxy is not None:
        proxy = requests.utils.prepend_scheme_if_needed(proxy, "http")
        if (scheme := urlsplit(proxy).scheme.lower()) not in PROXY_SCHEMES:
            raise UnsupportedProxy(scheme)  # named by its scheme: its URL may hold a password
    return Urllib3Session(
        verify=settings["verify"],
        cert=cert,
        proxy=proxy,
        proxies=proxies,
        netrc=requests.utils.get_netrc_auth(url),
    )


class Urllib3Session:
    """The part of ``requests.Session`` that hvac's adapters use (``request``, ``close`` and
    the ``verify``, ``cert`` and ``proxies`` they read when made), on one ``urllib3`` pool
    manager: direct, or through ``proxy`` when one is given. Thread-safe, as the pools are."""

    def __init__(
        self,
        *,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxy: str | None = None,
        proxies: Mapping[str, str] | None = None,
        netrc: tuple[str, str] | None = None,
    ) -> None:
        self.verify = verify
        self.cert = cert
        self.proxies = dict(proxies or {})
        self._headers: dict[str, str] = {}
        if netrc is not None:
            self._headers.update(urllib3.util.make_headers(basic_auth=":".join(netrc)))
        self._pool = _pool_manager(verify=verify, cert=cert, proxy=proxy)

    @property
    def pool(self) -> urllib3.PoolManager:
        """The pool manager the calls go through (its ``connection_pool_kw`` apply to the
        connections it opens next)."""
        return self._pool

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        allow_redirects: bool = True,
        timeout: float | tuple[float, float] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **_settings: Any,
    ) -> requests.Response:
        """Send ``method url`` and return the whole answer as a ``requests.Response``.

        ``_settings`` are the ``cert``, ``verify`` and ``proxies`` hvac passes with every call:
        the same as this session's own (hvac took them from it), applied when it was made.
        Raises the ``requests`` exception that ``requests`` raises for the same failure.
        """
        sent = {**self._headers, **(headers or {})}
        body = None
        if json is not None:
            body = jsonlib.dumps(json, allow_nan=False).encode()
            sent["Content-Type"] = "application/json"
        if params:
            url += ("&" if urlsplit(url).query else "?") + urlencode(
                {k: v for k, v in params.items() if v is not None}, doseq=True
            )
        try:
            raw = self._pool.urlopen(
                method.upper(),
                url,
                body=body,
                headers=sent,
                redirect=allow_redirects,
                retries=_RETRIES,
                timeout=_timeout(timeout),
            )
        except Exception as exc:
            raise _as_requests_error(exc, url) from exc
        return _response(raw, url)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


def _pool_manager(
    *, verify: bool | str, cert: str | tuple[str, str] | None, proxy: str | None
) -> urllib3.PoolManager:
    """A pool manager that checks certificates as ``requests`` does (``HTTPAdapter.
    cert_verify``): ``certifi``'s bundle for ``verify=True``, a file or a hashed directory for
    a path, nothing for ``False``; with the client certificate ``cert`` (a file, or a
    certificate and key)."""
    tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE"}
    if verify:
        where = requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else verify
        tls["ca_cert_dir" if os.path.isdir(where) else "ca_certs"] = where
    if isinstance(cert, tuple):
        tls["cert_file"], tls["key_file"] = cert
    elif cert:
        tls["cert_file"] = cert
    options: dict[str, Any] = {"num_pools": POOL_SIZE, "maxsize": POOL_SIZE, **tls}
    if proxy is None:
        return urllib3.PoolManager(**options)
    userinfo = urlsplit(proxy)
    proxy_headers = {}
    if userinfo.username:
        login = f"{unquote(userinfo.username)}:{unquote(userinfo.password or '')}"
        proxy_headers = urllib3.util.make_headers(proxy_basic_auth=login)
    return urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **options)


def _timeout(timeout: float | tuple[float, float] | None) -> urllib3.Timeout:
    """``requests``' reading of a timeout: one number for connecting and for each read, or a
    ``(connect, read)`` pair."""
    if isinstance(timeout, tuple):
        connect, read = timeout
        return urllib3.Timeout(connect=connect, read=read)
    return urllib3.Timeout(connect=timeout, read=timeout)


def _response(raw: urllib3.BaseHTTPResponse, url: str) -> requests.Response:
    """The answer as ``requests.Response``, built as ``requests`` builds it."""
    response = requests.Response()
    response.status_code = raw.status
    response.headers = requests.structures.CaseInsensitiveDict(raw.headers)
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.reason = raw.reason or ""
    response.url = url
    response._content = raw.data
    return response


class _Sent:
    """What a ``requests`` exception's ``request`` carries that credbot reads: the URL."""

    def __init__(self, url: str) -> None:
        self.url = url


_AFTER_RETRIES: tuple[tuple[type[Exception], type[requests.RequestException]], ...] = (
    (u3.NewConnectionError, requests.ConnectionError),
    (u3.ConnectTimeoutError, requests.ConnectTimeout),
    (u3.ResponseError, requests.TooManyRedirects),  # the redirects ran out
    (u3.ProxyError, requests.exceptions.ProxyError),
    (u3.SSLError, requests.exceptions.SSLError),
)
"""``requests``' exception for a ``urllib3.exceptions.MaxRetryError`` by its reason (the first
that matches; ``ConnectionError`` when none does)."""

_RAISED: tuple[tuple[type[Exception], type[requests.RequestException]], ...] = (
    (u3.ProtocolError, requests.ConnectionError),
    (OSError, requests.ConnectionError),
    (u3.ClosedPoolError, requests.ConnectionError),
    (u3.ProxyError, requests.exceptions.ProxyError),
    (u3.SSLError, requests.exceptions.SSLError),
    (u3.ReadTimeoutError, requests.ReadTimeout),
    (u3.InvalidHeader, requests.exceptions.InvalidHeader),
    (u3.HTTPError, requests.ConnectionError),  # a body cut short, a bad URL
)
"""``requests``' exception for any other ``urllib3`` failure (the first that matches)."""


def _as_requests_error(exc: Exception, url: str) -> Exception:
    """The ``requests`` exception that ``requests.adapters.HTTPAdapter.send`` raises for the
    ``urllib3`` failure ``exc`` (its branches, in its order; a failure it leaves to
    ``requests`` to wrap later, such as a body cut short, a ``ConnectionError``); ``exc``
    itself when it is not a transport failure."""
    if isinstance(exc, u3.MaxRetryError):
        reason = exc.reason
        cls = next((c for k, c in _AFTER_RETRIES if isinstance(reason, k)), None)
        cls = cls or requests.ConnectionError
    else:
        cls = next((c for k, c in _RAISED if isinstance(exc, k)), None)
    return exc if cls is None else cls(exc, request=_Sent(url))
