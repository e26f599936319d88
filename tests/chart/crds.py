"""Validate custom objects against the official CRDs that tools/crds/fetch.sh puts in .tools/crds.

A CRD's openAPIV3Schema is a structural OpenAPI v3 schema: close to JSON Schema, with Kubernetes
extensions. to_json_schema turns it into a JSON Schema that jsonschema checks the way the API
server would check a create with strict field validation:
  - an object with `properties` refuses fields it does not list (the server prunes or, strictly,
    refuses them), unless x-kubernetes-preserve-unknown-fields says otherwise;
  - x-kubernetes-int-or-string: an integer or a string; nullable: null is allowed too;
  - x-kubernetes-list-type set: items unique; map: items unique by x-kubernetes-list-map-keys;
  - format int32/int64: the integer's range; other formats are not asserted (nor by the server
    for most of them);
  - x-kubernetes-validations (CEL rules) cannot be evaluated here: cel_rules lists them, and
    the tests check the ones that concern what the chart renders by hand.
"""
import jsonschema
import yaml

from testkit.paths import CRD_DIR
FILES = {
    ("gateway.networking.k8s.io", "TCPRoute", "experimental"): "gateway-api/experimental/gateway.networking.k8s.io_tcproutes.yaml",
    ("gateway.networking.k8s.io", "TCPRoute", "standard"): "gateway-api/standard/gateway.networking.k8s.io_tcproutes.yaml",
    ("cert-manager.io", "Certificate", "standard"): "cert-manager/cert-manager.io_certificates.yaml",
}
INT_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}
DROPPED = {"description", "example", "externalDocs", "default", "format", "nullable", "x-kubernetes-validations",
           "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-int-or-string",
           "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-map-type"}


class MissingCRDs(Exception):
    pass


def load_crd(group, kind, channel="standard"):
    path = CRD_DIR / FILES[(group, kind, channel)]
    if not path.exists():
        raise MissingCRDs(f"{path} is missing: run `make setup` (or bash tools/crds/fetch.sh .tools/crds)")
    crd = yaml.safe_load(path.read_text())
    assert crd["kind"] == "CustomResourceDefinition" and crd["spec"]["names"]["kind"] == kind
    assert crd["spec"]["group"] == group
    return crd


def served_version(crd, version):
    """The CRD's entry for version, or None when the CRD does not serve it."""
    for v in crd["spec"]["versions"]:
        if v["name"] == version and v.get("served"):
            return v
    return None


def to_json_schema(node):
    out = {k: v for k, v in node.items() if k not in DROPPED and k not in (
        "properties", "items", "additionalProperties", "allOf", "anyOf", "oneOf", "not")}
    if "properties" in node:
        out["properties"] = {name: to_json_schema(child) for name, child in node["properties"].items()}
        if "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = to_json_schema(node["additionalProperties"])
    elif "additionalProperties" in node:
        out["additionalProperties"] = node["additionalProperties"]
    if "items" in node:
        out["items"] = to_json_schema(node["items"])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in node:
            out[key] = [to_json_schema(child) for child in node[key]]
    if "not" in node:
        out["not"] = to_json_schema(node["not"])
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", []).extend([{"type": "integer"}, {"type": "string"}])
    if node.get("format") in INT_RANGES and node.get("type") == "integer":
        low, high = INT_RANGES[node["format"]]
        out.setdefault("minimum", low)
        out.setdefault("maximum", high)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        out["uniqueItems"] = True
    elif list_type == "map":
        out["listMapKeys"] = node.get("x-kubernetes-list-map-keys", [])
    return out


def _list_map_keys(validator, keys, instance, schema):
    if not validator.is_type(instance, "array"):
        return
    seen = set()
    for item in instance:
        key = tuple(item.get(k) for k in keys) if isinstance(item, dict) else (item,)
        if key in seen:
            yield jsonschema.ValidationError(f"duplicate item for list-map keys {keys}: {key}")
        seen.add(key)


Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"listMapKeys": _list_map_keys})


def schema_for(crd, version):
    entry = served_version(crd, version)
    assert entry, f"{crd['metadata']['name']} does not serve {version}"
    schema = to_json_schema(entry["schema"]["openAPIV3Schema"])
    schema["properties"]["apiVersion"] = {"const": f"{crd['spec']['group']}/{version}"}
    schema["properties"]["kind"] = {"const": crd["spec"]["names"]["kind"]}
    return schema


def errors(obj, crd):
    """Every violation of the CRD's schema by obj, as readable strings."""
    version = obj["apiVersion"].rsplit("/", 1)[1]
    if not obj["apiVersion"].startswith(crd["spec"]["group"] + "/") or not served_version(crd, version):
        return [f"apiVersion: {obj['apiVersion']} is not served by {crd['metadata']['name']}"]
    validator = Validator(schema_for(crd, version))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


def cel_rules(crd, version):
    """(path, message) of every CEL rule of the version's schema."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations", []):
                found.append((path, rule.get("message", rule["rule"])))
            for key, child in node.items():
                if key != "x-kubernetes-validations":
                    walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for child in node:
                walk(child, path)
    walk(served_version(crd, version)["schema"]["openAPIV3Schema"], "")
    return found
