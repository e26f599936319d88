"""HTTPS, bearer-token authentication and the REST routes of the double."""
import base64
import copy
import datetime
import hmac
import ipaddress
import json
import os
import re
import ssl
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from . import patch, protobuf, readiness, resources, schema as sch
from .store import ApiError, Store, not_found

VERSION = {"major": "1", "minor": "37", "gitVersion": "v1.37.0-kubedouble", "gitCommit": "0" * 40,
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25",
           "compiler": "gc", "platform": "linux/amd64"}
BOOKMARK_EVERY = 10  # seconds between bookmarks on a quiet watch that allows them
PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}


# --- TLS ------------------------------------------------------------------------------------------

_PKI = None
_PKI_LOCK = threading.Lock()


def _pki():
    """A CA and a server certificate for 127.0.0.1/localhost, made once per process (EC keys: fast)."""
    global _PKI
    with _PKI_LOCK:
        if _PKI is None:
            start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
            end = start + datetime.timedelta(days=30)
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubedouble-ca")])
            ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                  .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(start).not_valid_after(end)
                  .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                  .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
                  .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                  .sign(ca_key, hashes.SHA256()))
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
                    .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(start).not_valid_after(end)
                    .add_extension(x509.SubjectAlternativeName([
                        x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                    .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                    # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers are required.
                    .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                    .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                    .sign(ca_key, hashes.SHA256()))
            pem = serialization.Encoding.PEM
            _PKI = (ca.public_bytes(pem), cert.public_bytes(pem),
                    key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return _PKI


# --- label and field selectors ----------------------------------------------------------------

_REQ = re.compile(r"\s*(!?)([A-Za-z0-9./_-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def parse_label_selector(text):
    """Requirements (key, op, values) of a label selector string; ValueError if malformed."""
    reqs = []
    for part in re.split(r",(?![^(]*\))", text or ""):
        if not part.strip():
            continue
        m = _REQ.match(part)
        if not m:
            raise ValueError(f"unable to parse requirement: {part!r}")
        neg, key, op, value, setop, values = m.groups()
        if neg:
            reqs.append((key, "!", None))
        elif op:
            reqs.append((key, "!=" if op == "!=" else "=", [value]))
        elif setop:
            reqs.append((key, setop, [v.strip() for v in values.split(",")]))
        else:
            reqs.append((key, "exists", None))
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for key, op, values in reqs:
        if op == "=" and labels.get(key) != values[0]:
            return False
        if op == "!=" and labels.get(key) == values[0]:
            return False
        if op == "in" and labels.get(key) not in values:
            return False
        if op == "notin" and key in labels and labels[key] in values:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!" and key in labels:
            return False
    return True


def parse_field_selector(text):
    out = []
    for part in (text or "").split(","):
        if not part:
            continue
        m = re.match(r"^([a-zA-Z.]+)(==|=|!=)(.*)$", part)
        if not m or m.group(1) not in ("metadata.name", "metadata.namespace"):
            raise ValueError(f'"{part.split("=")[0]}" is not a known field selector: only "metadata.name", "metadata.namespace"')
        out.append((m.group(1).split(".")[1], m.group(2) != "!=", m.group(3)))
    return out


def fields_match(obj, reqs):
    meta = obj.get("metadata", {})
    return all((meta.get(f, "") == v) == eq for f, eq, v in reqs)


# --- the API ------------------------------------------------------------------------------------

def _api_resource_list(group, version):
    out = []
    for r in resources.CATALOGUE:
        if (r.group, r.version) != (group, version):
            continue
        out.append({"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
                    "verbs": resources.VERBS, **({"shortNames": list(r.short_names)} if r.short_names else {}),
                    **({"categories": ["all"]} if r.kind in resources.ALL_CATEGORY else {})})
        for sub in r.subresources:
            kind, grp, ver = (("Scale", "autoscaling", "v1") if sub == "scale" else (r.kind, None, None))
            entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced, "kind": kind,
                     "verbs": ["get", "patch", "update"]}
            if grp:
                entry.update(group=grp, version=ver)
            out.append(entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": out}


def _api_group_list():
    groups = []
    for group, versions in resources.group_versions().items():
        if not group:
            continue
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _openapi_index():
    paths = {}
    for group, versions in resources.group_versions().items():
        for v in versions:
            p = f"apis/{group}/{v}" if group else f"api/{v}"
            paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={sch.openapi_v3(group, v)[1]}"}
    return {"paths": paths}


def _scale(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items()))
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": status.get("replicas", 0), "selector": selector}}


def _columns(obj):
    """The kind-specific columns of `kubectl get`, for reading the double by hand."""
    kind, spec, status = obj.get("kind"), obj.get("spec") or {}, obj.get("status") or {}
    if kind == "Deployment":
        return [("Ready", f'{status.get("readyReplicas", 0)}/{spec.get("replicas", 1)}'),
                ("Up-to-date", status.get("updatedReplicas", 0)), ("Available", status.get("availableReplicas", 0))]
    if kind in ("StatefulSet", "ReplicaSet"):
        return [("Ready", f'{status.get("readyReplicas", 0)}/{spec.get("replicas", 1)}')]
    if kind == "Pod":
        ready = sum(1 for c in status.get("containerStatuses") or [] if c.get("ready"))
        return [("Ready", f'{ready}/{len(spec.get("containers") or [])}'), ("Status", status.get("phase", ""))]
    if kind == "Service":
        ports = ",".join(f'{p.get("port")}/{p.get("protocol", "TCP")}' for p in spec.get("ports") or [])
        return [("Type", spec.get("type", "")), ("Cluster-IP", spec.get("clusterIP", "")), ("Port(s)", ports)]
    if kind == "Secret":
        return [("Type", obj.get("type", "")), ("Data", len(obj.get("data") or {}))]
    if kind == "ConfigMap":
        return [("Data", len(obj.get("data") or {}) + len(obj.get("binaryData") or {}))]
    if kind == "Namespace":
        return [("Status", status.get("phase", ""))]
    return []


def _table(items, rv, include_object):
    extra = [name for name, _ in _columns(items[0])] if items else []
    rows = []
    for o in items:
        obj = o if include_object == "Object" else {
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}
        cells = [o["metadata"]["name"], *(v for _, v in _columns(o)), o["metadata"].get("creationTimestamp")]
        rows.append({"cells": cells, "object": obj})
    columns = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    columns += [{"name": n, "type": "string", "format": "", "description": n, "priority": 0} for n in extra]
    columns.append({"name": "Created At", "type": "date", "format": "", "description": "Creation time", "priority": 0})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": columns, "rows": rows}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubedouble"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            super().log_message(fmt, *args)

    # --- plumbing --------------------------------------------------------------------------------

    def _send(self, code, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, err):
        if self.server.verbose:
            self.log_message("%s", json.dumps(err.status()))
        self._send(err.code, err.status())

    def _read_body(self):
        """The whole request body, read before anything else so that an early error reply
        leaves a clean keep-alive connection."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if not size:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _decode(self, raw):
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        try:
            if ctype == "application/vnd.kubernetes.protobuf":
                return protobuf.decode(raw)
            if ctype.endswith("yaml"):
                return yaml.safe_load(raw)
            return json.loads(raw or b"null")
        except protobuf.UnsupportedKind as exc:
            raise ApiError(415, "UnsupportedMediaType", str(exc))
        except (ValueError, yaml.YAMLError) as exc:
            raise ApiError(400, "BadRequest", f"the body of the request could not be decoded: {exc}")

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        self.raw_body = self._read_body()
        try:
            given = self.headers.get("Authorization") or ""
            if path not in PUBLIC_PATHS and not hmac.compare_digest(given, f"Bearer {self.server.token}"):
                raise ApiError(401, "Unauthorized", "Unauthorized")
            self._route(path)
        except ApiError as err:
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # a bug of the double: say so loudly, as a 500 Status
            traceback.print_exc()
            self._error(ApiError(500, "InternalError", f"kubedouble bug: {exc!r}"))

    def _route(self, path):
        if self.command != "GET" and not (path.startswith("/api/") or path.startswith("/apis/")):
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on {path}")
        if path == "/version":
            return self._send(200, VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return self._send(200, b"ok", "text/plain")
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.server.server_port}"}]})
        if path == "/apis":
            return self._send(200, _api_group_list())
        group = next((g for g in _api_group_list()["groups"] if path == f"/apis/{g['name']}"), None)
        if group:
            return self._send(200, {"kind": "APIGroup", "apiVersion": "v1", **group})
        if path == "/openapi/v3":
            return self._send(200, _openapi_index())
        m = re.match(r"^/openapi/v3/(?:api/(v1)|apis/([^/]+)/([^/]+))$", path)
        if m:
            group, version = (m.group(2) or ""), (m.group(1) or m.group(3))
            if version not in resources.group_versions().get(group, []):
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, sch.openapi_v3(group, version)[0])
        m = re.match(r"^/api/(v1)(?:/(.*))?$", path) or re.match(r"^/apis/([^/]+)/([^/]+)(?:/(.*))?$", path)
        if not m:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if path.startswith("/api/"):
            group, version, rest = "", m.group(1), m.group(2)
        else:
            group, version, rest = m.group(1), m.group(2), m.group(3)
        if version not in resources.group_versions().get(group, []):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            return self._send(200, _api_resource_list(group, version))
        parts = rest.split("/")
        namespace = None
        if parts[0] == "namespaces" and len(parts) >= 3 and parts[2] not in ("status", "finalize"):
            namespace, parts = parts[1], parts[2:]
        res = resources.find(group, version, parts[0])
        if res is None or len(parts) > 3 or (namespace and not res.namespaced):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        if sub and sub not in res.subresources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        handler = {"GET": self._get, "POST": self._create, "PUT": self._update,
                   "PATCH": self._patch, "DELETE": self._delete}[self.command]
        return handler(res, namespace, name, sub)

    # --- verbs -----------------------------------------------------------------------------------

    def _selectors(self):
        try:
            return (parse_label_selector(self.query.get("labelSelector")),
                    parse_field_selector(self.query.get("fieldSelector")))
        except ValueError as exc:
            raise ApiError(400, "BadRequest", str(exc))

    def _get(self, res, namespace, name, sub):
        store = self.server.store
        if name is None:
            if self.query.get("watch") in ("1", "true"):
                return self._watch(res, namespace)
            labels, fields = self._selectors()
            items, rv = store.list(res, namespace)
            items = [o for o in items if labels_match(o["metadata"].get("labels"), labels) and fields_match(o, fields)]
            meta = {"resourceVersion": rv}
            start = 0
            if self.query.get("continue"):
                try:
                    start = int(base64.urlsafe_b64decode(self.query["continue"]).decode())
                except ValueError:
                    raise ApiError(400, "BadRequest", "continue key is not valid")
            items = items[start:]
            limit = int(self.query.get("limit") or 0)
            if limit and len(items) > limit:
                items = items[:limit]
                meta["continue"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
                meta["remainingItemCount"] = len(store.list(res, namespace)[0]) - start - limit
            if "as=Table" in (self.headers.get("Accept") or ""):
                return self._send(200, _table(items, rv, self.query.get("includeObject")))
            return self._send(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                                    "metadata": meta, "items": items})
        obj = store.get(res, namespace, name)
        if obj is None:
            raise not_found(res, name)
        if sub == "scale":
            return self._send(200, _scale(obj))
        if "as=Table" in (self.headers.get("Accept") or ""):
            return self._send(200, _table([obj], obj["metadata"]["resourceVersion"], self.query.get("includeObject")))
        return self._send(200, obj)

    def _write_opts(self):
        validation = self.query.get("fieldValidation", "Strict")
        return {"dry_run": self.query.get("dryRun") == "All", "strict": validation == "Strict"}

    def _check_identity(self, res, obj, namespace, name):
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the body of the request is not an object")
        obj.setdefault("apiVersion", res.api_version)
        obj.setdefault("kind", res.kind)
        if (obj["apiVersion"], obj["kind"]) != (res.api_version, res.kind):
            raise ApiError(400, "BadRequest", f'{obj["kind"]} in version "{obj["apiVersion"]}" cannot be handled as a {res.kind}')
        meta = obj.setdefault("metadata", {}) or {}
        obj["metadata"] = meta
        if res.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        if name and meta.get("name") and meta["name"] != name:
            raise ApiError(400, "BadRequest", f'the name of the object ({meta["name"]}) does not match the name on the URL ({name})')
        if name:
            meta["name"] = name
        return obj

    def _create(self, res, namespace, name, sub):
        if name:
            raise ApiError(405, "MethodNotAllowed", "POST is only allowed on collections")
        obj = self._check_identity(res, self._decode(self.raw_body), namespace, None)
        stored, _ = self.server.store.write(obj, create=True, **self._write_opts())
        self._send(201, stored)

    def _update(self, res, namespace, name, sub):
        if not name:
            raise ApiError(405, "MethodNotAllowed", "PUT needs an object name")
        store = self.server.store
        body = self._decode(self.raw_body)
        with store.lock:
            if sub == "scale":
                return self._scale_write(res, namespace, name, body)
            obj = self._check_identity(res, body, namespace, name)
            stored, _ = store.write(obj, subresource=sub, expect_rv=obj["metadata"].get("resourceVersion"),
                                    **self._write_opts())
        self._send(200, stored)

    def _scale_write(self, res, namespace, name, scale):
        store = self.server.store
        obj = store.get(res, namespace, name)
        if obj is None:
            raise not_found(res, name)
        replicas = ((scale or {}).get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}',
                           {"name": name, "kind": "Scale", "causes": [{"field": "spec.replicas", "reason": "FieldValueInvalid"}]})
        obj["spec"]["replicas"] = replicas
        stored, _ = store.write(obj, **self._write_opts())
        return self._send(200, _scale(stored))

    def _patch(self, res, namespace, name, sub):
        if not name:
            raise ApiError(405, "MethodNotAllowed", "PATCH needs an object name")
        store = self.server.store
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        raw = self.raw_body
        body = self._decode(raw)
        root = sch.schema_for(res.api_version, res.kind)
        with store.lock:
            current = store.get(res, namespace, name)
            if ctype == "application/apply-patch+yaml":
                return self._apply(res, namespace, name, sub, current, body, root)
            if current is None:
                raise not_found(res, name)
            target = _scale(current) if sub == "scale" else current
            try:
                if ctype == "application/json-patch+json":
                    patched = patch.json_patch(target, body)
                elif ctype == "application/merge-patch+json":
                    patched = patch.merge_patch(target, body)
                elif ctype == "application/strategic-merge-patch+json":
                    patched = patch.strategic_merge(target, body, None if sub == "scale" else root)
                else:
                    raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}")
            except (patch.PatchError, TypeError, KeyError, ValueError, AttributeError) as exc:
                raise ApiError(422, "Invalid", f"the patch could not be applied: {exc}")
            if sub == "scale":
                return self._scale_write(res, namespace, name, patched)
            patched = self._check_identity(res, patched, namespace, name)
            stored, _ = store.write(patched, subresource=sub, expect_rv=(body or {}).get("metadata", {}).get("resourceVersion")
                                    if isinstance(body, dict) else None, **self._write_opts())
        self._send(200, stored)

    def _apply(self, res, namespace, name, sub, current, applied, root):
        """Server-side apply: merge the applied configuration into the live object, and remove
        what this field manager applied last time and no longer does. Ownership conflicts
        between managers are not detected."""
        store = self.server.store
        manager = self.query.get("fieldManager")
        if not manager:
            raise ApiError(400, "BadRequest", "PATCH, application/apply-patch+yaml requires fieldManager to be set")
        applied = self._check_identity(res, applied, namespace, name)
        key = (store.key(res, namespace, name), manager, sub)
        if current is None:
            if sub:
                raise not_found(res, name)
            stored, created = store.write(applied, create=True, **self._write_opts())
        else:
            live = copy.deepcopy(current)
            patch.apply_prune(live, store.applied.get(key), applied, root)
            merged = patch.apply_merge(live, applied, root)
            stored, created = store.write(merged, subresource=sub, **self._write_opts())
        if not self._write_opts()["dry_run"]:
            store.applied[key] = applied
        self._send(201 if created else 200, stored)

    def _delete(self, res, namespace, name, sub):
        store = self.server.store
        body = self.raw_body
        opts = self._decode(body) if body else {}
        opts = opts if isinstance(opts, dict) else {}
        propagation = self.query.get("propagationPolicy") or opts.get("propagationPolicy") or \
            ("Orphan" if opts.get("orphanDependents") else "Background")
        dry_run = self.query.get("dryRun") == "All" or "All" in (opts.get("dryRun") or [])
        if name is None:
            labels, fields = self._selectors()
            items, _ = store.list(res, namespace)
            gone = [store.delete(res, o["metadata"].get("namespace"), o["metadata"]["name"], propagation, dry_run)
                    for o in items if labels_match(o["metadata"].get("labels"), labels) and fields_match(o, fields)]
            return self._send(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                                    "metadata": {"resourceVersion": str(store.rv)}, "items": gone})
        current = store.get(res, namespace, name)
        pre = opts.get("preconditions") or {}
        for field in ("uid", "resourceVersion"):
            if current and pre.get(field) and pre[field] != current["metadata"].get(field):
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.plural} "{name}": '
                               f"the {field} in the precondition ({pre[field]}) does not match the {field} in "
                               f"record ({current['metadata'].get(field)}). The object might have been modified")
        gone = store.delete(res, namespace, name, propagation, dry_run)
        if res.kind == "Namespace":  # answered with the Terminating namespace, like the real server
            return self._send(200, gone)
        self._send(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": name, "group": res.group, "kind": res.plural,
                                     "uid": gone["metadata"]["uid"]}})

    # --- watch -----------------------------------------------------------------------------------

    def _watch(self, res, namespace):
        store = self.server.store
        labels, fields = self._selectors()
        timeout = min(float(self.query.get("timeoutSeconds") or 1800), 1800)
        deadline = time.monotonic() + timeout

        def wanted(r, obj):
            return (r.group, r.plural) == (res.group, res.plural) \
                and (not namespace or obj["metadata"].get("namespace") == namespace) \
                and labels_match(obj["metadata"].get("labels"), labels) and fields_match(obj, fields)

        bookmarks = self.query.get("allowWatchBookmarks") == "true"
        rv_param = self.query.get("resourceVersion", "")
        initial = self.query.get("sendInitialEvents") == "true"
        with store.lock:
            if initial or rv_param in ("", "0"):
                items, _ = store.list(res, namespace)
                events = [("ADDED", o) for o in items if wanted(res, o)]
                last = store.rv
            else:
                try:
                    last = int(rv_param)
                except ValueError:
                    raise ApiError(400, "BadRequest", f"invalid resource version {rv_param!r}")
                since = store.events_since(last)
                if since is None:
                    raise ApiError(410, "Expired", f"too old resource version: {last}")
                events = [(t, o) for _, t, r, o in since if wanted(r, o)]
                last = store.rv
        if initial:
            events.append(("BOOKMARK", {"kind": res.kind, "apiVersion": res.api_version, "metadata": {
                "resourceVersion": str(last), "annotations": {"k8s.io/initial-events-end": "true"}}}))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True

        def send(etype, obj):
            data = json.dumps({"type": etype, "object": obj}).encode() + b"\n"
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        try:
            for etype, obj in events:
                send(etype, obj)
            sent = time.monotonic()
            while not store.stopped and time.monotonic() < deadline:
                with store.changed:
                    store.changed.wait(timeout=0.5)
                    i = len(store.log)
                    while i > 0 and store.log[i - 1][0] > last:
                        i -= 1
                    new = store.log[i:]
                    last = store.rv
                for _, t, r, o in new:
                    if wanted(r, o):
                        send(t, o)
                        sent = time.monotonic()
                if bookmarks and time.monotonic() - sent > BOOKMARK_EVERY:
                    # As the real server does; it also finds out when the client has gone away.
                    send("BOOKMARK", {"kind": res.kind, "apiVersion": res.api_version,
                                      "metadata": {"resourceVersion": str(last)}})
                    sent = time.monotonic()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port=0, token="kubedouble-token", verbose=False):
        super().__init__(("127.0.0.1", port), Handler)
        self.token, self.verbose = token, verbose
        self.store = Store()
        self.store.controllers.append(readiness.reconcile)
        ca, cert, key = _pki()
        self.ca_pem = ca
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as tmp:  # ssl loads a chain from files only
            cert_file, key_file = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
            with open(cert_file, "wb") as f:
                f.write(cert)
            with open(key_file, "wb") as f:
                f.write(key)
            ctx.load_cert_chain(cert_file, key_file)
        self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def get_request(self):
        sock, addr = self.socket.accept()
        return sock, addr

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)
