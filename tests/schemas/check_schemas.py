#!/usr/bin/python3
"""The JSON Schemas in etc/schemas/ against every shipped journey and segment file, so the
schemas editors use cannot drift from what the daemon ships. Also checks that each schema
still refuses what the daemon refuses (a test that cannot fail proves nothing).

Needs Debian's python3-jsonschema and python3-yaml (scripts/install-deps.sh).
Usage: check_schemas.py SOURCE_DIR
"""
import copy
import json
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
schemas = {
    name: json.loads((root / "etc/schemas" / f"{name}.schema.json").read_text())
    for name in ("journey", "segments")
}
for schema in schemas.values():
    jsonschema.Draft202012Validator.check_schema(schema)
validators = {name: jsonschema.Draft202012Validator(s) for name, s in schemas.items()}

failures = []
checked = {"journey": 0, "segments": 0}
shipped = {}
for path in sorted((root / "journeys").glob("*.yaml")):
    doc = yaml.safe_load(path.read_text())
    kind = "segments" if "segments" in doc and "journey" not in doc else "journey"
    shipped.setdefault(kind, doc)
    checked[kind] += 1
    for error in validators[kind].iter_errors(doc):
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        failures.append(f"{path.relative_to(root)}: {where}: {error.message}")

if checked["journey"] < 5 or checked["segments"] < 1:
    failures.append(f"expected the shipped journeys and segments.yaml, found {checked}")

# Mutations the daemon refuses must be refused by the schemas too.
refused = []
journey = shipped.get("journey", {})
bad = copy.deepcopy(journey); bad["triger"] = bad.pop("trigger", {}); refused.append(("journey", "misspelt key", bad))
bad = copy.deepcopy(journey); bad["steps"] = "send everything"; refused.append(("journey", "steps not a list", bad))
bad = copy.deepcopy(journey); bad["journey"] = "has spaces in it"; refused.append(("journey", "bad id", bad))
bad = copy.deepcopy(journey); bad.pop("steps", None); refused.append(("journey", "no steps", bad))
segments = shipped.get("segments", {})
bad = copy.deepcopy(segments); bad["segmnts"] = bad.pop("segments", {}); refused.append(("segments", "misspelt key", bad))
for kind, what, doc in refused:
    if validators[kind].is_valid(doc):
        failures.append(f"the {kind} schema accepts a file with {what}")

for f in failures:
    print("FAIL", f)
print(f"checked {checked['journey']} journeys, {checked['segments']} segment files, "
      f"{len(refused)} refused mutations: {'FAILED' if failures else 'OK'}")
sys.exit(1 if failures else 0)
