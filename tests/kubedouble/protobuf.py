"""Decoding of the Kubernetes protobuf encoding, for the kinds helm writes that way.

A body is the magic b"k8s\\x00" and a runtime.Unknown {typeMeta{apiVersion=1, kind=2}=1, raw=2,
contentEncoding=3, contentType=4}; raw is the object's message. Field numbers follow
k8s.io/api/core/v1/generated.proto and k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto.
Replies are always JSON: clients send `Accept: application/vnd.kubernetes.protobuf,
application/json`, so that is legal, and it keeps this module to decoding only."""
import base64
import datetime

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    pass


class UnsupportedKind(ProtobufError):
    pass


def _varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def fields(buf):
    """Yield (field number, wire type, value) of one message; value is int or bytes."""
    i = 0
    while i < len(buf):
        tag, i = _varint(buf, i)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 1:
            value, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wire == 5:
            value, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        yield num, wire, value


# A message map is {field number: (json name, decoder)}; a decoder is "str", "int", "bool",
# "bytes" (base64 in JSON), a nested map, ("list", decoder) or ("map", value decoder).
TIME = {1: ("seconds", "int"), 2: ("nanos", "int")}
OWNER_REFERENCE = {1: ("kind", "str"), 3: ("name", "str"), 4: ("uid", "str"), 5: ("apiVersion", "str"),
                   6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")}
OBJECT_REFERENCE = {1: ("kind", "str"), 2: ("namespace", "str"), 3: ("name", "str"), 4: ("uid", "str"),
                    5: ("apiVersion", "str"), 6: ("resourceVersion", "str"), 7: ("fieldPath", "str")}
OBJECT_META = {
    1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"), 4: ("selfLink", "str"),
    5: ("uid", "str"), 6: ("resourceVersion", "str"), 7: ("generation", "int"),
    8: ("creationTimestamp", TIME), 9: ("deletionTimestamp", TIME), 10: ("deletionGracePeriodSeconds", "int"),
    11: ("labels", ("map", "str")), 12: ("annotations", ("map", "str")),
    13: ("ownerReferences", ("list", OWNER_REFERENCE)), 14: ("finalizers", ("list", "str")),
    17: ("managedFields", "skip"),
}
KINDS = {
    ("v1", "Secret"): {1: ("metadata", OBJECT_META), 2: ("data", ("map", "bytes")), 3: ("type", "str"),
                       4: ("stringData", ("map", "str")), 5: ("immutable", "bool")},
    ("v1", "ConfigMap"): {1: ("metadata", OBJECT_META), 2: ("data", ("map", "str")),
                          3: ("binaryData", ("map", "bytes")), 4: ("immutable", "bool")},
    ("v1", "ServiceAccount"): {1: ("metadata", OBJECT_META), 2: ("secrets", ("list", OBJECT_REFERENCE)),
                               3: ("imagePullSecrets", ("list", {1: ("name", "str")})),
                               4: ("automountServiceAccountToken", "bool")},
    ("v1", "Namespace"): {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", ("list", "str"))}),
                          3: ("status", {1: ("phase", "str")})},
    ("v1", "DeleteOptions"): {1: ("gracePeriodSeconds", "int"), 2: ("preconditions", {1: ("uid", "str"), 2: ("resourceVersion", "str")}),
                              3: ("orphanDependents", "bool"), 4: ("propagationPolicy", "str"), 5: ("dryRun", ("list", "str"))},
}


def _scalar(decoder, wire, value):
    if decoder == "str":
        return value.decode()
    if decoder == "bytes":
        return base64.b64encode(value).decode()
    if decoder == "int":
        return value - (1 << 64) if value >= 1 << 63 else value
    if decoder == "bool":
        return bool(value)
    if isinstance(decoder, dict):
        return message(value, decoder)
    raise ProtobufError(f"bad decoder {decoder!r}")


def message(buf, spec):
    out = {}
    for num, wire, value in fields(buf):
        if num not in spec:
            raise ProtobufError(f"unknown field number {num}")
        name, decoder = spec[num]
        if decoder == "skip":
            continue
        if isinstance(decoder, tuple) and decoder[0] == "list":
            out.setdefault(name, []).append(_scalar(decoder[1], wire, value))
        elif isinstance(decoder, tuple) and decoder[0] == "map":
            entry = dict((n, v) for n, _, v in fields(value))
            out.setdefault(name, {})[entry.get(1, b"").decode()] = _scalar(decoder[1], 2, entry.get(2, b""))
        else:
            value = _scalar(decoder, wire, value)
            if value not in ("", 0) or isinstance(value, bool):  # gogo writes empty scalars too
                out[name] = value
    for key in ("creationTimestamp", "deletionTimestamp"):
        if isinstance(out.get(key), dict):
            secs = out[key].get("seconds", 0)
            out[key] = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if secs else None
            if out[key] is None:
                del out[key]
    return out


def decode(body):
    """A protobuf request body to the JSON-shaped object it encodes."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf magic")
    envelope = {n: v for n, _, v in fields(body[len(MAGIC):])}
    type_meta = {n: v.decode() for n, _, v in fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    spec = KINDS.get((api_version, kind)) or (KINDS.get(("v1", kind)) if kind == "DeleteOptions" else None)
    if spec is None:
        raise UnsupportedKind(f"the test double cannot decode {api_version} {kind} from protobuf "
                              "(it knows Secret, ConfigMap, ServiceAccount, Namespace, DeleteOptions)")
    obj = message(envelope.get(2, b""), spec)
    return {"apiVersion": api_version, "kind": kind, **obj}
