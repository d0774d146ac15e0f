"""``python -m btxh_tools.vendor_crds CRD.yaml SOURCE``: an operator's CustomResourceDefinition
turned into the JSON Schema ``make deploy-check`` validates that kind with, written to
``deploy/schemas/<Kind>.json`` (see its README for where each CRD came from).

The CRD's ``openAPIV3Schema`` (of its storage version) is kept as it is, with what makes it
strict and plain JSON Schema: ``apiVersion`` and ``kind`` fixed, an object that lists its
``properties`` refuses any other (the API server would silently prune an unknown field, a
typo that would then do nothing; ``kubectl --validate=strict`` refuses it, so do we) unless
the CRD keeps unknown fields there, ``x-kubernetes-int-or-string`` becomes integer-or-string,
and ``nullable`` admits null.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "deploy" / "schemas"


def strict(node: Any) -> Any:
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    keeps_unknown = out.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in out and "additionalProperties" not in out and not keeps_unknown:
        out["additionalProperties"] = False
    return out


def convert(crd: dict[str, Any], source: str) -> dict[str, Any]:
    spec = crd["spec"]
    version = next(v for v in spec["versions"] if v.get("storage"))
    schema = strict(version["schema"]["openAPIV3Schema"])
    schema["properties"]["apiVersion"] = {"const": f"{spec['group']}/{version['name']}"}
    schema["properties"]["kind"] = {"const": spec["names"]["kind"]}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{spec['group']}/{version['name']} {spec['names']['kind']}",
        "$comment": f"from {source} by btxh_tools.vendor_crds",
        **schema,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    crd = yaml.safe_load(Path(argv[0]).read_text())
    schema = convert(crd, argv[1])
    target = SCHEMAS / f"{crd['spec']['names']['kind']}.json"
    target.write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n")
    print(f"{target.relative_to(ROOT)}: {schema['title']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
