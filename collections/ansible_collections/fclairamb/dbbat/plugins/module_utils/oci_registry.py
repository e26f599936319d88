# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""A small, read-only client of the OCI distribution API, for chart versions.

It reads what a publish has to compare: the manifest behind a tag (whose chart layer digest says
whether the same archive is already there) and, when needed, a blob. It connects like helm does
with the same options: plain HTTP or HTTPS, a CA file that replaces the system CAs, a client
certificate, no verification on request, HTTP(S)_PROXY and NO_PROXY from the environment, and the
registry's own authentication: HTTP basic, or a bearer token from the registry's token service
(anonymous, or with the user name and password). The password only ever goes into an
``Authorization`` header, which is never forwarded on a redirect (blob downloads are often
redirected to a storage host).

It is built on urllib rather than ``ansible.module_utils.urls``, which would add about 50 ms of
imports (cryptography, email) to every run, and reads ``~/.netrc`` by default.

The parsing and the error classification are pure functions; ``RegistryClient`` does the I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import hashlib
import http.client
import json
import re
import socket
import ssl

from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import HTTPSHandler, Request, build_opener

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
PROVENANCE_LAYER = "application/vnd.cncf.helm.chart.provenance.v1.prov"
DEFAULT_TIMEOUT = 30
USER_AGENT = "fclairamb.dbbat (helm_chart_publish)"

_CHALLENGE_PARAM_RE = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')

# OpenSSL reasons when the server refused our (missing or untrusted) client certificate.
_CLIENT_CERTIFICATE_ALERTS = ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA", "CERTIFICATE_UNKNOWN",
                              "CERTIFICATE_EXPIRED", "CERTIFICATE_REVOKED")
# OpenSSL reasons when a TLS client got a plain HTTP answer.
_PLAIN_HTTP_ANSWERS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "UNKNOWN_PROTOCOL",
                       "PACKET_LENGTH_TOO_LONG")
# X509_V_ERR_* codes whose plain meaning is "no CA given trusts this certificate".
_UNKNOWN_AUTHORITY_CODES = (2, 18, 19, 20, 21)


class RegistryError(Exception):
    """A registry read that failed; ``kind`` is one of the kinds of helm_cli.classify_registry_error,
    or ``options`` when a TLS file given cannot be loaded."""

    def __init__(self, kind, detail):
        super(RegistryError, self).__init__(detail)
        self.kind = kind
        self.detail = detail


# --- pure helpers (unit tested) ----------------------------------------------------

def parse_challenge(header):
    """``(scheme, {param: value})`` of a ``WWW-Authenticate`` header; scheme lowercased, '' if none."""
    header = (header or "").strip()
    if not header:
        return "", {}
    scheme, _sep, rest = header.partition(" ")
    params = {}
    for match in _CHALLENGE_PARAM_RE.finditer(rest):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
    return scheme.lower(), params


def token_request_url(params, repository):
    """The token service URL for pulling ``repository``, from a bearer challenge's parameters."""
    realm = params.get("realm")
    if not realm:
        raise RegistryError("other", "the registry asked for a bearer token without saying where to get it "
                                     "(no realm in WWW-Authenticate)")
    query = {}
    if params.get("service"):
        query["service"] = params["service"]
    query["scope"] = params.get("scope") or "repository:%s:pull" % repository
    return "%s%s%s" % (realm, "&" if "?" in realm else "?", urlencode(query))


def parse_token(body):
    """The token of a token service answer (``token``, or OAuth2's ``access_token``)."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    token = None
    if isinstance(answer, dict):
        token = answer.get("token") or answer.get("access_token")
    if not token:
        raise RegistryError("other", "the registry's token service answered without a token")
    return token


def basic_authorization(username, password):
    return "Basic " + base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")


def chart_layers(manifest):
    """``{"chart": layer, "provenance": layer or None, "annotations": {...}}`` of a Helm chart
    manifest (bytes or dict): its layers, and its annotations (Chart.yaml's, as helm push copies them)."""
    if isinstance(manifest, bytes):
        try:
            manifest = json.loads(manifest.decode("utf-8"))
        except ValueError:
            raise ValueError("the manifest is not JSON")
    layers = manifest.get("layers") if isinstance(manifest, dict) else None
    if not isinstance(layers, list):
        raise ValueError("the manifest has no layers")
    annotations = manifest.get("annotations")
    found = {"chart": None, "provenance": None, "annotations": annotations if isinstance(annotations, dict) else {}}
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        if layer.get("mediaType") == CHART_LAYER:
            found["chart"] = layer
        elif layer.get("mediaType") == PROVENANCE_LAYER:
            found["provenance"] = layer
    if found["chart"] is None or not str(found["chart"].get("digest", "")).startswith("sha256:"):
        raise ValueError("it is not a Helm chart: its manifest has no %s layer" % CHART_LAYER)
    return found


def _tls_reason(exc):
    return (getattr(exc, "reason", None) or "").upper() or str(exc).upper()


def describe_error(exc, plain_http=False):
    """``(kind, detail)`` of an exception raised while talking to a registry (over plain HTTP or not);
    ``detail`` uses the words of helm's own messages (``connection refused``, ``certificate signed by
    unknown authority``)."""
    if isinstance(exc, URLError) and not isinstance(exc, HTTPError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        message = getattr(exc, "verify_message", None) or str(exc)
        if code in _UNKNOWN_AUTHORITY_CODES:
            return "tls", "x509: certificate signed by unknown authority (%s)" % message
        if code == 62 or "hostname mismatch" in message.lower() or "IP address mismatch" in message:
            return "tls", "x509: certificate is not valid for this host (%s)" % message
        return "tls", "x509: %s" % message
    if isinstance(exc, ssl.SSLError):
        reason = _tls_reason(exc)
        if any(alert in reason for alert in _PLAIN_HTTP_ANSWERS):
            return "plain_http_mismatch", "server gave HTTP response to HTTPS client (%s)" % exc
        if any(alert in reason for alert in _CLIENT_CERTIFICATE_ALERTS):
            return "client_certificate", "remote error: tls: %s" % exc
        return "tls", "tls: %s" % exc
    if isinstance(exc, ConnectionRefusedError):
        return "unreachable", "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unreachable", "no such host (%s)" % (exc.strerror or exc)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "unreachable", "i/o timeout"
    if isinstance(exc, ConnectionResetError):
        return "unreachable", "connection reset by peer"
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "unreachable", "no route to host" if exc.errno == errno.EHOSTUNREACH else "network is unreachable"
    if isinstance(exc, OSError) and getattr(exc, "strerror", None):
        return "unreachable", exc.strerror.lower()
    if isinstance(exc, http.client.HTTPException):
        # what a plain HTTP client reads from a server that answers in TLS
        return ("https_mismatch" if plain_http else "other",
                "malformed HTTP response (%s: %s)" % (exc.__class__.__name__, exc))
    return "other", str(exc) or exc.__class__.__name__


def describe_status(code, reason, body):
    """``(kind, detail)`` of an HTTP error status from a registry."""
    text = (body or b"")[:2000].decode("utf-8", "replace")
    errors = []
    try:
        errors = [e for e in json.loads(text).get("errors", []) if isinstance(e, dict)]
    except (ValueError, AttributeError):
        pass
    codes = [str(e.get("code", "")) for e in errors]
    summary = "; ".join("%s: %s" % (e.get("code", ""), e.get("message", "")) for e in errors) or text.strip()[:200]
    detail = "response status code %d %s%s" % (code, reason or "", (": " + summary) if summary else "")
    if code == 400 and "HTTP request to an HTTPS server" in text:
        return "https_mismatch", "response status code 400: client sent an HTTP request to an HTTPS server"
    if code == 401:
        return "unauthorized", detail
    if code == 403:
        return "denied", detail
    if code == 404 or "MANIFEST_UNKNOWN" in codes or "NAME_UNKNOWN" in codes:
        return "not_found", detail
    return "other", detail


# --- I/O ---------------------------------------------------------------------------

def tls_context(ca_file=None, cert_file=None, key_file=None, insecure_skip_tls_verify=False):
    """The TLS settings helm uses for the same options (``ca_file`` replaces the system CAs).

    Raises RegistryError of kind ``options``, naming the option, when a file cannot be loaded."""
    try:
        context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise RegistryError("options", "ca_file %s cannot be loaded as PEM certificates: %s" % (ca_file, exc))
    if insecure_skip_tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_file:
        context.post_handshake_auth = True
        try:
            context.load_cert_chain(cert_file, keyfile=key_file)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise RegistryError("options", "cert_file %s and key_file %s cannot be loaded as a PEM certificate and "
                                           "its private key: %s" % (cert_file, key_file, exc))
    return context


class _TLSHandler(HTTPSHandler):
    """An HTTPS handler that builds its TLS context on the first HTTPS request: loading the system
    CAs takes about 30 ms, wasted when the registry speaks plain HTTP."""

    def __init__(self, make_context):
        HTTPSHandler.__init__(self, context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        self._make_context = make_context
        self._tls = None

    def https_open(self, req):
        if self._tls is None:
            self._tls = self._make_context()
        return self.do_open(http.client.HTTPSConnection, req, context=self._tls)


class RegistryClient(object):
    """Reads manifests and blobs of one registry host with the module's connection options."""

    def __init__(self, host, plain_http=False, ca_file=None, cert_file=None, key_file=None,
                 insecure_skip_tls_verify=False, username=None, password=None, timeout=DEFAULT_TIMEOUT):
        self.plain_http = plain_http
        self.base = "%s://%s" % ("http" if plain_http else "https", host)
        self.username = username
        self._password = password
        self.timeout = timeout

        def make_tls_context():
            return tls_context(ca_file, cert_file, key_file, insecure_skip_tls_verify)

        self._opener = build_opener(_TLSHandler(make_tls_context))
        self._authorization = None
        self.requests = []

    def _send(self, url, accept=None, authorization=None):
        request = Request(url, headers={"User-Agent": USER_AGENT})
        if accept:
            request.add_header("Accept", accept)
        if authorization:
            # never sent again after a redirect to another host
            request.add_unredirected_header("Authorization", authorization)
        self.requests.append("GET %s" % url)
        return self._opener.open(request, timeout=self.timeout)

    def _get(self, url, accept=None, repository=None):
        """``(body, headers)`` of a GET, answering the registry's authentication challenge once."""
        for attempt in (1, 2):
            try:
                response = self._send(url, accept, self._authorization)
                try:
                    return response.read(), response.headers
                finally:
                    response.close()
            except HTTPError as exc:
                body = exc.read() if exc.fp is not None else b""
                if exc.code == 401 and attempt == 1:
                    self._authorization = self._authorize(exc.headers.get("WWW-Authenticate"), repository, url)
                    continue
                kind, detail = describe_status(exc.code, exc.reason, body)
                if kind == "unauthorized" and not self.username:
                    detail = "%s (authentication required)" % detail
                raise RegistryError(kind, "GET %s: %s" % (url, detail))
            except (URLError, OSError, ssl.SSLError, http.client.HTTPException) as exc:
                kind, detail = describe_error(exc, self.plain_http)
                raise RegistryError(kind, "GET %s: %s" % (url, detail))
        raise RegistryError("unauthorized", "GET %s: response status code 401" % url)  # pragma: no cover

    def _authorize(self, header, repository, url):
        scheme, params = parse_challenge(header)
        if scheme == "basic":
            if not self.username:
                raise RegistryError("unauthorized", "GET %s: response status code 401 Unauthorized "
                                                    "(authentication required)" % url)
            return basic_authorization(self.username, self._password)
        if scheme == "bearer":
            token_url = token_request_url(params, repository)
            credentials = basic_authorization(self.username, self._password) if self.username else None
            try:
                response = self._send(token_url, "application/json", credentials)
                try:
                    body = response.read()
                finally:
                    response.close()
            except HTTPError as exc:
                kind, detail = describe_status(exc.code, exc.reason, exc.read() if exc.fp is not None else b"")
                if kind == "unauthorized" and not self.username:
                    detail = "%s (authentication required)" % detail
                raise RegistryError(kind if kind != "not_found" else "other", "GET %s: %s" % (token_url, detail))
            except (URLError, OSError, ssl.SSLError, http.client.HTTPException) as exc:
                kind, detail = describe_error(exc, self.plain_http)
                raise RegistryError(kind, "GET %s: %s" % (token_url, detail))
            return "Bearer " + parse_token(body)
        raise RegistryError("other", "GET %s: the registry asks for an authentication scheme this module does not "
                                     "speak (%r)" % (url, header))

    def manifest(self, repository, tag):
        """``(manifest digest, manifest bytes)`` of ``repository:tag``; RegistryError(not_found) if absent."""
        url = "%s/v2/%s/manifests/%s" % (self.base, repository, quote(tag, safe=""))
        body, _headers = self._get(url, OCI_MANIFEST, repository)
        return "sha256:" + hashlib.sha256(body).hexdigest(), body

    def blob(self, repository, digest):
        """The bytes of a blob, checked against its digest."""
        url = "%s/v2/%s/blobs/%s" % (self.base, repository, digest)
        body, _headers = self._get(url, None, repository)
        if digest.startswith("sha256:") and "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise RegistryError("other", "GET %s: the blob does not match its digest" % url)
        return body
