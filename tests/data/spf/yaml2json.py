#!/usr/bin/env python3
# yaml2json.py - convert the RFC 7208 SPF test suite (rfc7208-tests.yml, latin-1 YAML with one
# document per scenario) into rfc7208-tests.json, which test_spf.c reads with jansson.
# Run once by hand (needs python3-yaml); the JSON is committed so CI needs nothing.
# The structure is kept as it is in the YAML: [{description, tests: {name: {...}}, zonedata}].
# Only the encoding changes: latin-1 text becomes UTF-8 JSON strings.
import json
import sys

import yaml

src = sys.argv[1] if len(sys.argv) > 1 else "rfc7208-tests.yml"
dst = sys.argv[2] if len(sys.argv) > 2 else "rfc7208-tests.json"
with open(src, encoding="latin-1") as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
with open(dst, "w", encoding="utf-8") as f:
    json.dump(docs, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(docs)} scenarios, {sum(len(d['tests']) for d in docs)} tests -> {dst}")
