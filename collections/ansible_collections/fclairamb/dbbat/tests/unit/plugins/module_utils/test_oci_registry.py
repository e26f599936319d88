# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of the OCI registry reader: its pure helpers, and the client against a small local
HTTP registry (anonymous, basic and bearer authentication, blobs redirected to a storage host).
TLS is exercised by the collection's integration tests (tests/publish) against a real registry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import hashlib
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils.oci_registry import (
    CHART_LAYER,
    PROVENANCE_LAYER,
    RegistryClient,
    RegistryError,
    chart_layers,
    describe_error,
    describe_status,
    parse_challenge,
    parse_token,
    token_request_url,
)

USER, PASSWORD = "me", "s3cr3t"
BLOB = b"\x1f\x8b chart archive bytes" * 10
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "layers": [
    {"mediaType": CHART_LAYER, "digest": BLOB_DIGEST, "size": len(BLOB)}]}).encode()


# -- pure helpers --------------------------------------------------------------------

def test_parse_challenge():
    assert parse_challenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/c:pull"') == (
        "bearer", {"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:o/c:pull"})
    assert parse_challenge('Basic realm="dbbat-test"') == ("basic", {"realm": "dbbat-test"})
    assert parse_challenge('Bearer realm="https://a/t?x=1", service=reg') == (
        "bearer", {"realm": "https://a/t?x=1", "service": "reg"})
    assert parse_challenge("") == ("", {}) and parse_challenge(None) == ("", {})


def test_token_request_url():
    assert token_request_url({"realm": "https://ghcr.io/token", "service": "ghcr.io"}, "o/c/dbbat") == \
        "https://ghcr.io/token?service=ghcr.io&scope=repository%3Ao%2Fc%2Fdbbat%3Apull"
    assert token_request_url({"realm": "https://a/t?x=1", "scope": "repository:x:pull"}, "o") == \
        "https://a/t?x=1&scope=repository%3Ax%3Apull"
    with pytest.raises(RegistryError):
        token_request_url({}, "o")


def test_parse_token():
    assert parse_token(b'{"token": "t1"}') == "t1"
    assert parse_token(b'{"access_token": "t2", "expires_in": 300}') == "t2"
    for body in (b"{}", b"[]", b"not json", b'{"token": ""}'):
        with pytest.raises(RegistryError):
            parse_token(body)


def test_chart_layers():
    manifest = {"layers": [{"mediaType": PROVENANCE_LAYER, "digest": "sha256:p"},
                           {"mediaType": CHART_LAYER, "digest": "sha256:c"}], "annotations": {"a": "b"}}
    assert chart_layers(json.dumps(manifest).encode()) == {"chart": manifest["layers"][1],
                                                           "provenance": manifest["layers"][0],
                                                           "annotations": {"a": "b"}}
    assert chart_layers(MANIFEST)["provenance"] is None and chart_layers(MANIFEST)["annotations"] == {}
    for bad in (b"nope", b"{}", json.dumps({"layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar"}]})
                .encode()):
        with pytest.raises(ValueError):
            chart_layers(bad)


@pytest.mark.parametrize("code, body, kind", [
    (404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', "not_found"),
    (401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', "unauthorized"),
    (403, b"", "denied"),
    (400, b"Client sent an HTTP request to an HTTPS server.\n", "https_mismatch"),
    (500, b"boom", "other"),
])
def test_describe_status(code, body, kind):
    found, detail = describe_status(code, "Reason", body)
    assert found == kind
    assert str(code) in detail


def _verify_error(code, message):
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.verify_code, error.verify_message = code, message
    return error


def _ssl_error(reason):
    error = ssl.SSLError(1, "[SSL: %s] %s" % (reason, reason.lower()))
    error.reason = reason
    return error


@pytest.mark.parametrize("exc, kind, words", [
    (URLError(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")), "unreachable", "connection refused"),
    (URLError(socket.gaierror(-2, "Name or service not known")), "unreachable", "no such host"),
    (URLError(socket.timeout("timed out")), "unreachable", "i/o timeout"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), "unreachable", "connection reset by peer"),
    (URLError(OSError(errno.EHOSTUNREACH, "No route to host")), "unreachable", "no route to host"),
    (URLError(_verify_error(20, "unable to get local issuer certificate")), "tls",
     "certificate signed by unknown authority"),
    (URLError(_verify_error(62, "Hostname mismatch, certificate is not valid for 'h'.")), "tls",
     "not valid for this host"),
    (_ssl_error("TLSV13_ALERT_CERTIFICATE_REQUIRED"), "client_certificate", "remote error: tls:"),
    (URLError(_ssl_error("SSLV3_ALERT_BAD_CERTIFICATE")), "client_certificate", "remote error: tls:"),
    (URLError(_ssl_error("WRONG_VERSION_NUMBER")), "plain_http_mismatch", "server gave HTTP response to HTTPS client"),
    (URLError(_ssl_error("SOMETHING_ELSE")), "tls", "tls:"),
])
def test_describe_error(exc, kind, words):
    found, detail = describe_error(exc)
    assert found == kind and words in detail, detail


# -- a small registry ----------------------------------------------------------------

class Registry(object):
    """A registry on 127.0.0.1 serving one chart version, with the authentication asked for, and a
    storage host its blob requests are redirected to."""

    def __init__(self, auth=None, redirect_blobs=False):
        self.auth = auth
        self.redirect_blobs = redirect_blobs
        self.requests = []
        self.storage_requests = []
        self.token = "token-" + "x" * 8
        self.registry = self._serve(self._registry_handler())
        self.storage = self._serve(self._storage_handler())
        self.host = "127.0.0.1:%d" % self.registry.server_address[1]

    def _serve(self, handler):
        server = HTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
        thread.daemon = True
        thread.start()
        return server

    def close(self):
        for server in (self.registry, self.storage):
            server.shutdown()
            server.server_close()

    def _authorized(self, header):
        if self.auth is None:
            return True
        if self.auth == "basic":
            return header == "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        return header == "Bearer " + self.token

    def _registry_handler(self):
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body=b"", headers=None):
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                authorization = self.headers.get("Authorization")
                registry.requests.append((self.path, authorization, self.headers.get("Range")))
                if self.path.startswith("/token"):
                    if registry.auth == "bearer-credentials" and authorization != "Basic " + base64.b64encode(
                            ("%s:%s" % (USER, PASSWORD)).encode()).decode():
                        return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                    return self._send(200, json.dumps({"token": registry.token}).encode())
                if not registry._authorized(authorization):
                    if registry.auth == "basic":
                        challenge = 'Basic realm="test"'
                    else:
                        challenge = 'Bearer realm="http://%s/token",service="test"' % registry.host
                    return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                      {"WWW-Authenticate": challenge})
                if self.path == "/v2/charts/mychart/manifests/1.0.0":
                    return self._send(200, MANIFEST, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
                if self.path == "/v2/charts/mychart/blobs/" + BLOB_DIGEST:
                    if registry.redirect_blobs:
                        return self._send(307, b"", {"Location": "http://127.0.0.1:%d/blob"
                                                                 % registry.storage.server_address[1]})
                    body = BLOB
                    if self.headers.get("Range"):
                        first, last = self.headers["Range"][len("bytes="):].split("-")
                        return self._send(206, BLOB[int(first):int(last) + 1])
                    return self._send(200, body)
                if self.path == "/v2/charts/mychart/blobs/sha256:" + "0" * 64:
                    return self._send(200, b"not what the digest says")
                return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')

        return Handler

    def _storage_handler(self):
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                registry.storage_requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Length", str(len(BLOB)))
                self.end_headers()
                self.wfile.write(BLOB)

        return Handler


@pytest.fixture
def make_registry():
    started = []

    def make(**kwargs):
        registry = Registry(**kwargs)
        started.append(registry)
        return registry

    yield make
    for registry in started:
        registry.close()


def client(registry, **kwargs):
    return RegistryClient(registry.host, plain_http=True, timeout=5, **kwargs)


@pytest.mark.parametrize("auth, credentials", [
    (None, {}),
    ("basic", {"username": USER, "password": PASSWORD}),
    ("bearer", {}),  # anonymous token, as public repositories on ghcr.io give
    ("bearer-credentials", {"username": USER, "password": PASSWORD}),
])
def test_reads_a_manifest_and_its_blob(make_registry, auth, credentials):
    registry = make_registry(auth=auth)
    reader = client(registry, **credentials)
    digest, body = reader.manifest("charts/mychart", "1.0.0")
    assert body == MANIFEST and digest == "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    assert reader.blob("charts/mychart", BLOB_DIGEST) == BLOB
    if auth == "bearer-credentials":
        token_requests = [r for r in registry.requests if r[0].startswith("/token")]
        assert len(token_requests) == 1 and "scope=repository%3Acharts%2Fmychart%3Apull" in token_requests[0][0]


def test_a_missing_version_is_not_found(make_registry):
    with pytest.raises(RegistryError) as raised:
        client(make_registry()).manifest("charts/mychart", "9.9.9")
    assert raised.value.kind == "not_found"


def test_the_tag_is_quoted(make_registry):
    registry = make_registry()
    with pytest.raises(RegistryError):
        client(registry).manifest("charts/mychart", "1.0.0_b/../x")
    assert registry.requests[-1][0] == "/v2/charts/mychart/manifests/1.0.0_b%2F..%2Fx"


@pytest.mark.parametrize("auth, credentials, detail", [
    ("basic", {"username": USER, "password": "wrong"}, "401"),
    ("basic", {}, "authentication required"),
    ("bearer-credentials", {"username": USER, "password": "wrong"}, "401"),
])
def test_refused_credentials_are_unauthorized(make_registry, auth, credentials, detail):
    with pytest.raises(RegistryError) as raised:
        client(make_registry(auth=auth), **credentials).manifest("charts/mychart", "1.0.0")
    assert raised.value.kind == "unauthorized" and detail in raised.value.detail
    assert "wrong" not in raised.value.detail and PASSWORD not in raised.value.detail


def test_credentials_never_follow_a_redirect(make_registry):
    registry = make_registry(auth="basic", redirect_blobs=True)
    assert client(registry, username=USER, password=PASSWORD).blob("charts/mychart", BLOB_DIGEST) == BLOB
    assert registry.storage_requests == [("/blob", None)]


def test_a_blob_that_does_not_match_its_digest_is_refused(make_registry):
    with pytest.raises(RegistryError, match="does not match its digest"):
        client(make_registry()).blob("charts/mychart", "sha256:" + "0" * 64)


def test_an_unreachable_registry(make_registry):
    registry = make_registry()
    registry.close()
    with pytest.raises(RegistryError) as raised:
        client(registry).manifest("charts/mychart", "1.0.0")
    assert raised.value.kind == "unreachable" and "connection refused" in raised.value.detail


def test_https_to_a_plain_http_registry(make_registry):
    registry = make_registry()
    with pytest.raises(RegistryError) as raised:
        RegistryClient(registry.host, timeout=5, insecure_skip_tls_verify=True).manifest("charts/mychart", "1.0.0")
    assert raised.value.kind == "plain_http_mismatch"


def test_a_ca_file_that_cannot_be_loaded_names_the_option(make_registry, tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(RegistryError) as raised:
        RegistryClient(make_registry().host, ca_file=str(bad), timeout=5).manifest("charts/mychart", "1.0.0")
    assert raised.value.kind == "options" and raised.value.detail.startswith("ca_file %s cannot be loaded" % bad)


def test_http_errors_are_described(monkeypatch):
    reader = RegistryClient("h")

    def send(*args, **kwargs):
        raise HTTPError("https://h/v2/", 403, "Forbidden", {}, None)

    monkeypatch.setattr(reader, "_send", send)
    with pytest.raises(RegistryError) as raised:
        reader.manifest("charts/mychart", "1.0.0")
    assert raised.value.kind == "denied"
