"""The four PATCH flavours: JSON patch, JSON merge patch, strategic merge patch and server-side
apply. Strategic merge and apply are schema-aware (merge keys and list types come from the
x-kubernetes-* hints of the bundled schemas)."""
import copy

from . import schema as sch


class PatchError(Exception):
    pass


# --- RFC 7386 merge patch ---------------------------------------------------------------------

def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# --- RFC 6902 JSON patch ----------------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk_to(doc, parts):
    for p in parts:
        try:
            doc = doc[int(p)] if isinstance(doc, list) else doc[p]
        except (KeyError, IndexError, ValueError):
            raise PatchError(f"path {'/'.join(parts)} not found")
    return doc


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, parts = op.get("op"), _pointer(op.get("path", ""))
        if kind == "test":
            if _walk_to(doc, parts) != op.get("value"):
                raise PatchError(f"test failed at {op['path']}")
            continue
        if kind in ("move", "copy"):
            value = copy.deepcopy(_walk_to(doc, _pointer(op["from"])))
            if kind == "move":
                doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
            doc = json_patch(doc, [{"op": "add", "path": op["path"], "value": value}])
            continue
        if not parts:
            if kind in ("add", "replace"):
                doc = copy.deepcopy(op["value"])
                continue
            raise PatchError("cannot remove the root")
        parent, last = _walk_to(doc, parts[:-1]), parts[-1]
        if isinstance(parent, list):
            idx = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(idx, copy.deepcopy(op["value"]))
            elif kind == "remove":
                parent.pop(idx)
            elif kind == "replace":
                parent[idx] = copy.deepcopy(op["value"])
            else:
                raise PatchError(f"unknown op {kind!r}")
        elif isinstance(parent, dict):
            if kind in ("remove", "replace") and last not in parent:
                raise PatchError(f"path {op['path']} not found")
            if kind == "remove":
                del parent[last]
            elif kind in ("add", "replace"):
                parent[last] = copy.deepcopy(op["value"])
            else:
                raise PatchError(f"unknown op {kind!r}")
        else:
            raise PatchError(f"path {op['path']} not found")
    return doc


# --- strategic merge patch --------------------------------------------------------------------

def _merge_key(schema, strategy_name="x-kubernetes-patch-strategy"):
    strategy = sch.hint(schema, strategy_name) or ""
    if "merge" in strategy.split(","):
        return sch.hint(schema, "x-kubernetes-patch-merge-key") or True
    return None


def strategic_merge(target, patch, schema):
    """Apply a strategic merge patch (kubectl apply and kubectl patch send these)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    if retain is not None:
        out = {k: v for k, v in out.items() if k in retain}
    for k, v in patch.items():
        if k in ("$retainKeys", "$patch") or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            out[field] = [x for x in out.get(field) or [] if x not in v]
            continue
        sub = sch.sub_schema(schema, k)
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list):
            out[k] = _strategic_list(out.get(k), v, sub)
        elif isinstance(v, dict):
            merged = strategic_merge(out.get(k), v, sub)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        else:
            out[k] = copy.deepcopy(v)
    for k, order in patch.items():
        if k.startswith("$setElementOrder/") and isinstance(out.get(k.split("/", 1)[1]), list):
            field = k.split("/", 1)[1]
            out[field] = _ordered(out[field], order, _merge_key(sch.sub_schema(schema, field)))
    return out


def _ordered(items, order, key):
    """$setElementOrder: the listed items in the listed order, the others after them as they were."""
    ident = (lambda x: x.get(key) if isinstance(x, dict) else x) if key not in (None, True) else (lambda x: x)
    wanted = [o.get(key) if isinstance(o, dict) else o for o in order]
    rank = {w: i for i, w in enumerate(wanted)}
    return sorted(items, key=lambda x: rank.get(ident(x), len(rank)))


def _strategic_list(current, patch, schema):
    key = _merge_key(schema)
    if not key:
        return copy.deepcopy([p for p in patch if not (isinstance(p, dict) and "$patch" in p)])
    current = copy.deepcopy(current or [])
    if key is True:  # a merged list of scalars: union
        return current + [p for p in patch if p not in current]
    items = sch.sub_schema(schema, 0)
    for p in patch:
        if isinstance(p, dict) and p.get("$patch") == "replace":
            return [x for x in patch if x is not p]
        match = next((i for i, c in enumerate(current) if isinstance(c, dict) and c.get(key) == p.get(key)), None)
        if isinstance(p, dict) and p.get("$patch") == "delete":
            if match is not None:
                current.pop(match)
        elif match is None:
            current.append(strategic_merge({}, p, items))
        else:
            current[match] = strategic_merge(current[match], p, items)
    return current


# --- server-side apply ------------------------------------------------------------------------

def _list_keys(schema):
    if sch.hint(schema, "x-kubernetes-list-type") == "map":
        return sch.hint(schema, "x-kubernetes-list-map-keys") or []
    if sch.hint(schema, "x-kubernetes-list-type") == "set":
        return "set"
    return None


# Defaults the server fills in list-map keys: an applied item without them is the same item.
_KEY_DEFAULTS = {"protocol": "TCP"}


def _item_id(item, keys):
    return tuple(item.get(k, _KEY_DEFAULTS.get(k)) for k in keys) if isinstance(item, dict) else item


def apply_merge(live, applied, schema):
    """Merge an applied configuration into the live object: maps recursively, list-maps by their
    keys, sets by value, atomic lists and atomic maps replaced."""
    if not isinstance(applied, dict) or not isinstance(live, dict) \
            or sch.hint(schema, "x-kubernetes-map-type") == "atomic":
        return copy.deepcopy(applied)
    out = copy.deepcopy(live)
    for k, v in applied.items():
        sub = sch.sub_schema(schema, k)
        keys = _list_keys(sub)
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and keys and isinstance(out.get(k), list):
            merged = list(out[k])
            for item in v:
                ident = _item_id(item, keys) if keys != "set" else item
                idx = next((i for i, c in enumerate(merged)
                            if (c == item if keys == "set" else _item_id(c, keys) == ident)), None)
                if idx is None:
                    merged.append(copy.deepcopy(item))
                elif keys != "set":
                    merged[idx] = apply_merge(merged[idx], item, sch.sub_schema(sub, 0))
            out[k] = merged
        else:
            out[k] = apply_merge(out.get(k), v, sub)
    return out


def apply_prune(live, previous, applied, schema):
    """Remove from live what this field manager applied before and no longer applies."""
    if not isinstance(live, dict) or not isinstance(previous, dict):
        return live
    applied = applied if isinstance(applied, dict) else {}
    for k, pv in previous.items():
        if k not in live:
            continue
        if k not in applied:
            del live[k]
            continue
        sub = sch.sub_schema(schema, k)
        keys = _list_keys(sub)
        av = applied[k]
        if isinstance(pv, dict) and isinstance(av, dict):
            apply_prune(live[k], pv, av, sub)
        elif isinstance(pv, list) and isinstance(av, list) and keys and isinstance(live[k], list):
            if keys == "set":
                gone = [x for x in pv if x not in av]
                live[k] = [x for x in live[k] if x not in gone]
                continue
            wanted = {_item_id(x, keys): x for x in av}
            kept = []
            for item in live[k]:
                ident = _item_id(item, keys)
                before = next((x for x in pv if _item_id(x, keys) == ident), None)
                if before is not None and ident not in wanted:
                    continue
                if before is not None:
                    apply_prune(item, before, wanted[ident], sch.sub_schema(sub, 0))
                kept.append(item)
            live[k] = kept
    return live
