"""Validation against the official strict JSON schemas bundled by kubernetes-validate, and the
OpenAPI v3 documents built from them (kubectl and helm read these)."""
import functools
import hashlib
import json
import re
from pathlib import Path

import kubernetes_validate

K8S_VERSION = "1.37.0"  # matches the pinned kubectl
_DIR = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{K8S_VERSION}-local-strict"
_REF = "#/$defs/"

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
# Kinds whose names must be DNS-1123 labels (the rest: subdomains).
LABEL_NAMED = {"Namespace", "Service"}


@functools.cache
def definitions():
    return json.loads((_DIR / "_definitions.json").read_text())["$defs"]


@functools.cache
def _gvk_index():
    out = {}
    for name, d in definitions().items():
        for g in d.get("x-kubernetes-group-version-kind", []):
            out[(g["group"], g["version"], g["kind"])] = name
    return out


def schema_for(api_version, kind):
    """The root schema of a kind, or None if the bundled schemas do not know it."""
    group, _, version = api_version.rpartition("/")
    name = _gvk_index().get((group, version, kind))
    return definitions()[name] if name else None


def resolve(schema):
    while schema and isinstance(schema.get("$ref"), str):
        schema = definitions()[schema["$ref"][len(_REF):]]
    return schema or {}


def sub_schema(schema, key):
    """Schema of a child: a property name for objects, an int for list items."""
    schema = resolve(schema)
    if isinstance(key, int):
        return schema.get("items")
    props = schema.get("properties")
    if props and key in props:
        # Keep the property-level x-kubernetes-* hints next to the resolved target.
        return props[key]
    ap = schema.get("additionalProperties")
    return ap if isinstance(ap, dict) else None


def hint(schema, name):
    """An x-kubernetes-* hint, read on the property itself first, then on its target."""
    if not schema:
        return None
    if name in schema:
        return schema[name]
    return resolve(schema).get(name)


def _types(schema):
    t = schema.get("type")
    if t is None:
        return None
    return [t] if isinstance(t, str) else [x for x in t if x != "null"]


def _is_type(value, t):
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    return True


def path_str(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


QUANTITY = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+|E[+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$")


def _walk(schema, value, path, errors):
    if schema and str(schema.get("$ref", "")).endswith(".api.resource.Quantity"):
        if isinstance(value, str) and not QUANTITY.match(value):
            errors.append((path, "FieldValueInvalid", f"Invalid value: {json.dumps(value)}: quantities must match the regular expression "
                           "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
        return
    schema = resolve(schema)
    if value is None or not schema:
        return
    if "oneOf" in schema:
        if not any(_matches(s, value) for s in schema["oneOf"]):
            kinds = "/".join(t for s in schema["oneOf"] for t in (_types(resolve(s)) or []))
            errors.append((path, "FieldValueInvalid", f"Invalid value: {json.dumps(value)}: must be of type {kinds}"))
        return
    types = _types(schema)
    if types and not any(_is_type(value, t) for t in types):
        want = types[0] if schema.get("format") not in ("int32", "int64") else schema["format"]
        errors.append((path, "FieldValueTypeInvalid", f"Invalid value: {json.dumps(value)}: must be of type {want}"))
        return
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(json.dumps(v) for v in schema["enum"] if v is not None)
        errors.append((path, "FieldValueNotSupported", f"Unsupported value: {json.dumps(value)}: supported values: {supported}"))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for req in schema.get("required", []):
            if value.get(req) is None:
                errors.append((path + [req], "FieldValueRequired", "Required value"))
        ap = schema.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                _walk(props[k], v, path + [k], errors)
            elif isinstance(ap, dict):
                _walk(ap, v, path + [k], errors)
            elif ap is False:
                errors.append((path + [k], "FieldValueInvalid", "Invalid value: unknown field"))
    elif isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            _walk(schema["items"], v, path + [i], errors)


def _matches(schema, value):
    errors = []
    _walk(schema, value, [], errors)
    return not errors


def validate(obj):
    """Return a list of (field path, reason, message) for what the real API server would refuse.
    Unknown fields are among them: callers that must ignore them strip them first (strip_unknown)."""
    errors = []
    schema = schema_for(obj.get("apiVersion", ""), obj.get("kind", ""))
    if schema is not None:
        _walk(schema, obj, [], errors)
    errors += _semantic(obj)
    return [(path_str(p), r, m) for p, r, m in errors]


def strip_unknown(schema, value):
    """Drop the fields the schema does not know (fieldValidation=Ignore or Warn)."""
    schema = resolve(schema)
    if isinstance(value, dict) and schema.get("additionalProperties", True) is False:
        for k in [k for k in value if k not in schema.get("properties", {})]:
            del value[k]
    if isinstance(value, dict):
        for k, v in value.items():
            strip_unknown(sub_schema(schema, k), v)
    elif isinstance(value, list):
        for v in value:
            strip_unknown(schema.get("items"), v)


def _semantic(obj):
    """The checks beyond the schema that the real API server makes and that a chart or a
    playbook commonly trips over. Each returns (path list, reason, message) tuples."""
    kind, spec = obj.get("kind", ""), obj.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    errors = _object_meta_errors(kind, obj.get("metadata") or {})
    for prefix, pod_spec in _pod_specs(obj):
        errors += _labels_errors(prefix[:-1] + ["metadata", "labels"],
                                 ((_get(obj, prefix[:-1]) or {}).get("metadata") or {}).get("labels"))
        errors += _pod_spec_errors(prefix, pod_spec)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        errors += _workload_errors(kind, spec)
    if kind == "Service":
        errors += _service_errors(spec)
    if kind in ("Secret", "ConfigMap"):
        errors += _config_errors(obj)
    return errors


def _get(obj, path):
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _labels_errors(path, labels):
    errors = []
    for k, v in (labels or {}).items():
        errors += _key_errors(path, k)
        if isinstance(v, str) and (len(v) > 63 or not LABEL_VALUE.match(v)):
            errors.append((path, "FieldValueInvalid", f"Invalid value: {json.dumps(v)}: a valid label must be an empty "
                           "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                           "with an alphanumeric character"))
    return errors


def _key_errors(path, key):
    prefix, _, short = key.rpartition("/")
    if not QUALIFIED_NAME.match(short) or len(short) > 63 or (prefix and not DNS1123_SUBDOMAIN.match(prefix)):
        return [(path, "FieldValueInvalid", f"Invalid value: {json.dumps(key)}: name part must consist of "
                 "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")]
    return []


def _object_meta_errors(kind, meta):
    errors = []
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        errors.append((["metadata", "name"], "FieldValueRequired", "Required value: name or generateName is required"))
    elif name:
        pattern, limit = (DNS1123_LABEL, 63) if kind in LABEL_NAMED else (DNS1123_SUBDOMAIN, 253)
        if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
            errors.append((["metadata", "name"], "FieldValueInvalid",
                           f"Invalid value: {json.dumps(name)}: a lowercase RFC 1123 "
                           f"{'label' if limit == 63 else 'subdomain'} must consist of lower case alphanumeric "
                           "characters, '-' or '.', and must start and end with an alphanumeric character"))
    errors += _labels_errors(["metadata", "labels"], meta.get("labels"))
    for k in (meta.get("annotations") or {}):
        errors += _key_errors(["metadata", "annotations"], k)
    return errors


def _workload_errors(kind, spec):
    errors = []
    selector = spec.get("selector") or {}
    errors += _labels_errors(["spec", "selector", "matchLabels"], selector.get("matchLabels"))
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector or any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        errors.append((["spec", "template", "metadata", "labels"], "FieldValueInvalid",
                       f"Invalid value: {json.dumps(labels)}: `selector` does not match template `labels`"))
    strategy = spec.get("strategy") or {}
    if kind == "Deployment" and strategy.get("type") == "Recreate" and strategy.get("rollingUpdate") is not None:
        errors.append((["spec", "strategy", "rollingUpdate"], "FieldValueForbidden",
                       "Forbidden: may not be specified when strategy `type` is 'Recreate'"))
    return errors


def _service_errors(spec):
    errors = _labels_errors(["spec", "selector"], spec.get("selector"))
    ports, seen = spec.get("ports") or [], set()
    for i, port in enumerate(ports):
        ident = (port.get("port"), port.get("protocol", "TCP"))
        if ident in seen:
            errors.append((["spec", "ports", i], "FieldValueDuplicate",
                           f"Duplicate value: {json.dumps(dict(port=ident[0], protocol=ident[1]))}"))
        seen.add(ident)
        if len(ports) > 1 and not port.get("name"):
            errors.append((["spec", "ports", i, "name"], "FieldValueRequired", "Required value"))
        if not isinstance(port.get("port"), int) or not 0 < port["port"] < 65536:
            errors.append((["spec", "ports", i, "port"], "FieldValueInvalid",
                           f"Invalid value: {json.dumps(port.get('port'))}: must be between 1 and 65535, inclusive"))
        if isinstance(port.get("targetPort"), str) and not _svc_name(port["targetPort"]):
            errors.append((["spec", "ports", i, "targetPort"], "FieldValueInvalid",
                           f"Invalid value: {json.dumps(port['targetPort'])}: {_SVC_NAME_RULE}"))
        if port.get("nodePort") and spec.get("type", "ClusterIP") not in ("NodePort", "LoadBalancer"):
            errors.append((["spec", "ports", i, "nodePort"], "FieldValueForbidden",
                           "Forbidden: may not be used when `type` is 'ClusterIP'"))
    return errors


# Keys a Secret of a given type must carry.
_SECRET_TYPE_KEYS = {"kubernetes.io/tls": ("tls.crt", "tls.key"),
                     "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
                     "kubernetes.io/dockercfg": (".dockercfg",)}


def _config_errors(obj):
    errors = []
    for field in ("data", "stringData", "binaryData"):
        for k in (obj.get(field) or {}):
            if not SECRET_KEY.match(k):
                errors.append(([field], "FieldValueInvalid", f"Invalid value: {json.dumps(k)}: a valid config key "
                               "must consist of alphanumeric characters, '-', '_' or '.'"))
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    for key in _SECRET_TYPE_KEYS.get(obj.get("type"), ()) if obj.get("kind") == "Secret" else ():
        if key not in keys:
            errors.append(([f"data[{key}]"], "FieldValueRequired", "Required value"))
    return errors


_SVC_NAME_RULE = "must be no more than 15 characters, contain only lowercase alphanumerics and '-', and at least one letter"
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_QUANTITY_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
                    "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def quantity(value):
    """A resource quantity as a number ("500m" -> 0.5, "1Gi" -> 1073741824); None if unparsable."""
    m = re.fullmatch(r"([+-]?[0-9.]+)(e[+-]?\d+|E[+-]?\d+|[numkMGTPE]i?|)", str(value))
    if not m or (m.group(2).endswith("i") and m.group(2) not in _QUANTITY_SUFFIX):
        return None
    suffix = m.group(2)
    return float(m.group(1)) * (_QUANTITY_SUFFIX[suffix] if suffix in _QUANTITY_SUFFIX else 10 ** int(suffix[1:]))


def _svc_name(name):
    """IANA_SVC_NAME: what a named port may be called."""
    return 0 < len(name) <= 15 and re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) is not None \
        and "--" not in name and re.search(r"[a-z]", name) is not None


def _pod_specs(obj):
    """(path, pod spec) of the pod templates an object carries."""
    kind, spec = obj.get("kind"), obj.get("spec")
    if not isinstance(spec, dict):
        return []
    path = {"Pod": ["spec"], "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"]}.get(
        kind, ["spec", "template", "spec"] if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job") else None)
    pod_spec = _get(obj, path) if path else None
    return [(path, pod_spec)] if isinstance(pod_spec, dict) else []


def _container_errors(path, c, volumes):
    errors = []
    for j, port in enumerate(c.get("ports") or []):
        if port.get("name") is not None and not _svc_name(str(port["name"])):
            errors.append((path + ["ports", j, "name"], "FieldValueInvalid", f"Invalid value: {json.dumps(port['name'])}: {_SVC_NAME_RULE}"))
        cp = port.get("containerPort")
        if isinstance(cp, int) and not 0 < cp < 65536:
            errors.append((path + ["ports", j, "containerPort"], "FieldValueInvalid", f"Invalid value: {cp}: must be between 1 and 65535, inclusive"))
    for j, env in enumerate(c.get("env") or []):
        if not env.get("name") or "=" in env["name"]:
            errors.append((path + ["env", j, "name"], "FieldValueInvalid", f"Invalid value: {json.dumps(env.get('name'))}: "
                           "a valid environment variable name must consist only of printable ASCII characters other than '='"))
        sources = [k for k, v in (env.get("valueFrom") or {}).items() if v is not None]
        if env.get("valueFrom") is not None and len(sources) != 1:
            errors.append((path + ["env", j, "valueFrom"], "FieldValueInvalid", "Invalid value: may not have more than one field specified at a time" if sources else "Required value: must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
        if env.get("value") and env.get("valueFrom") is not None:
            errors.append((path + ["env", j, "valueFrom"], "FieldValueInvalid", "Invalid value: may not be specified when `value` is not empty"))
    for j, mount in enumerate(c.get("volumeMounts") or []):
        if mount.get("name") not in volumes:
            errors.append((path + ["volumeMounts", j, "name"], "FieldValueNotFound", f"Not found: {json.dumps(mount.get('name'))}"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        handlers = [h for h in _PROBE_HANDLERS if (c.get(probe) or {}).get(h) is not None]
        if c.get(probe) is not None and len(handlers) != 1:
            errors.append((path + [probe], "FieldValueRequired" if not handlers else "FieldValueForbidden",
                           "Required value: must specify a handler type" if not handlers else "Forbidden: may not specify more than 1 handler type"))
    resources = c.get("resources") or {}
    for res_name, request in (resources.get("requests") or {}).items():
        limit = (resources.get("limits") or {}).get(res_name)
        if limit is not None and None not in (quantity(request), quantity(limit)) and quantity(request) > quantity(limit):
            errors.append((path + ["resources", "requests"], "FieldValueInvalid",
                           f"Invalid value: {json.dumps(request)}: must be less than or equal to {res_name} limit of {limit}"))
    return errors


def _pod_spec_errors(prefix, pod_spec):
    errors = []
    volumes = set()
    for i, vol in enumerate(pod_spec.get("volumes") or []):
        name = vol.get("name") or ""
        if not DNS1123_LABEL.match(name) or name in volumes:
            errors.append((prefix + ["volumes", i, "name"], "FieldValueInvalid", f"Invalid value: {json.dumps(name)}: must be a unique DNS label"))
        volumes.add(name)
    names = set()
    for field in ("initContainers", "containers"):
        for i, c in enumerate(pod_spec.get(field) or []):
            if not isinstance(c, dict):
                continue
            name = c.get("name") or ""
            if name and (not DNS1123_LABEL.match(name) or name in names):
                errors.append((prefix + [field, i, "name"], "FieldValueInvalid", f"Invalid value: {json.dumps(name)}: must be a unique DNS label"))
            names.add(name)
            if field == "containers" and not c.get("image"):
                errors.append((prefix + [field, i, "image"], "FieldValueRequired", "Required value"))
            errors += _container_errors(prefix + [field, i], c, volumes)
    if not pod_spec.get("containers"):
        errors.append((prefix + ["containers"], "FieldValueRequired", "Required value"))
    return errors


# --- OpenAPI v3 -------------------------------------------------------------------------------

def _to_openapi(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out[k] = "#/components/schemas/" + v[len(_REF):]
            elif k == "type" and isinstance(v, list):
                types = [t for t in v if t != "null"]
                out[k] = types[0] if len(types) == 1 else types
            elif k == "additionalProperties" and v is False:
                continue
            else:
                out[k] = _to_openapi(v)
        return out
    if isinstance(node, list):
        return [_to_openapi(v) for v in node]
    return node


def _refs(node, acc):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v[len(_REF):] not in acc:
                acc.add(v[len(_REF):])
                _refs(definitions()[v[len(_REF):]], acc)
            else:
                _refs(v, acc)
    elif isinstance(node, list):
        for v in node:
            _refs(v, acc)


def _paths(group, version):
    """Operations per resource path. kubectl and helm look for the PATCH operation of a kind and
    its fieldValidation parameter to decide that the server validates (so they need not)."""
    from . import resources
    params = [{"name": n, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
              for n in ("dryRun", "fieldManager", "fieldValidation", "pretty")]
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    out = {}
    for r in resources.CATALOGUE:
        if (r.group, r.version) != (group, version):
            continue
        gvk = {"group": group, "version": version, "kind": r.kind}
        ns = "/namespaces/{namespace}" if r.namespaced else ""
        ok = {"200": {"description": "OK"}}

        def op(action, verb):
            return {"operationId": f"{verb}{r.kind}", "x-kubernetes-action": action,
                    "x-kubernetes-group-version-kind": gvk, "parameters": params, "responses": ok}
        out[f"{prefix}{ns}/{r.plural}"] = {"get": op("list", "list"), "post": op("post", "create"),
                                         "delete": op("deletecollection", "deleteCollection")}
        out[f"{prefix}{ns}/{r.plural}/{{name}}"] = {
            "get": op("get", "read"), "put": op("put", "replace"), "patch": op("patch", "patch"),
            "delete": op("delete", "delete")}
    return out


@functools.cache
def openapi_v3(group, version):
    """The OpenAPI v3 document of one group-version, as bytes, and its hash."""
    names = {n for (g, v, _), n in _gvk_index().items() if (g, v) == (group, version)}
    acc = set(names)
    for n in names:
        _refs(definitions()[n], acc)
    schemas = {n: _to_openapi(definitions()[n]) for n in sorted(acc)}
    if "io.k8s.apimachinery.pkg.util.intstr.IntOrString" in schemas:
        schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": "string", "format": "int-or-string"}
    if "io.k8s.apimachinery.pkg.api.resource.Quantity" in schemas:
        schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"type": "string", "format": "quantity"}
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": f"v{K8S_VERSION}"},
           "paths": _paths(group, version), "components": {"schemas": schemas}}
    body = json.dumps(doc).encode()
    return body, hashlib.sha512(body).hexdigest()[:32].upper()
