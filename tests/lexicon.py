"""A small AT Protocol lexicon checker for test fakes: every request a fake receives and every
response it gives is checked against the lexicons in ../shared/data/bluesky/lexicons."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from support import shared_file


@cache
def document(nsid: str) -> dict[str, Any]:
    path = shared_file("bluesky/lexicons/" + nsid.replace(".", "/") + ".json")
    return dict(json.loads(path.read_text()))


def _resolve(ref: str, nsid: str) -> tuple[dict[str, Any], str]:
    target, _, name = ref.partition("#")
    target = target or nsid
    return document(target)["defs"][name or "main"], target


def check(schema: dict[str, Any], value: Any, nsid: str, where: str = "$") -> list[str]:
    """Problems of `value` against `schema` (empty: it conforms)."""
    kind = schema.get("type")
    if kind == "ref":
        sub, target = _resolve(schema["ref"], nsid)
        return check(sub, value, target, where)
    if kind == "union":
        if not isinstance(value, dict):
            return [f"{where}: union needs an object"]
        refs = schema["refs"]
        typ = value.get("$type")
        full = [r if r.split("#")[0] else nsid + r for r in refs]
        if typ is None:
            return [] if len(refs) == 1 else [f"{where}: union member without $type"]
        if typ not in full and typ + "#main" not in full and not (
                typ.endswith("#main") and typ[:-5] in full):
            return [] if schema.get("closed") is False else [f"{where}: {typ} not in {full}"]
        sub, target = _resolve(typ, nsid)
        return check(sub, value, target, where)
    if kind in ("object", "params"):
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        problems = [f"{where}.{k}: required" for k in schema.get("required", [])
                    if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value and value[key] is not None:
                problems += check(sub, value[key], nsid, f"{where}.{key}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        problems = []
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where}: more than {schema['maxLength']} items")
        for i, item in enumerate(value):
            problems += check(schema["items"], item, nsid, f"{where}[{i}]")
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string"]
        if "maxLength" in schema and len(value.encode()) > schema["maxLength"]:
            return [f"{where}: longer than {schema['maxLength']} bytes"]
        if schema.get("format") == "did" and not value.startswith("did:"):
            return [f"{where}: not a DID"]
        return []
    if kind == "integer":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [
            f"{where}: expected an integer"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean"]
    return []  # unknown, blob, bytes, cid-link: not used by the chat calls checked here


def check_call(nsid: str, params: dict[str, Any], body: Any, output: Any) -> list[str]:
    """Check one XRPC call: its parameters (query) or input (procedure), and its output."""
    main = document(nsid)["defs"]["main"]
    problems = []
    if main["type"] == "query":
        problems += check(main.get("parameters", {"type": "params"}), params, nsid, "params")
    else:
        problems += check(main["input"]["schema"], body, nsid, "input")
    if "output" in main and "schema" in main["output"]:
        problems += check(main["output"]["schema"], output, nsid, "output")
    return problems
