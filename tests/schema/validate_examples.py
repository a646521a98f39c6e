#!/usr/bin/python3
"""Validate truckroll wire-contract examples against the JSON Schemas.

An independent check of schemas/ (it shares no code with the C codec):
  - every *.schema.json is a valid draft 2020-12 schema, its $id is under the
    v1 base URL, a message schema's `type` const matches its file name, and
    it keeps the contract's own rules (numbers bounded, strings with
    maxLength, arrays with maxItems, objects closed);
  - every file in a --valid dir passes, every file in an --invalid dir is
    rejected (files named in semantic-invalid.txt beside the invalid dir may
    pass: JSON Schema cannot express their rule, the codec must reject them);
  - with no --valid/--invalid (the default run), also: every message type
    README.md names has a schema, and at least 2 valid and 1 invalid example.

Before the schema, a payload goes through the rules every message obeys
(README.md "Rules that hold for every message"): at most 65536 bytes, no NUL
(raw or \\u0000), valid UTF-8 (no lone surrogate escapes), no NaN/Infinity
literals, no duplicate keys, nesting at most 16 levels (the top object is
level 1). The schema is picked by the file name's prefix up to the first '-'
(`job.create-region.json` -> job.create); a prefix that names no schema is a
rejection. What this does not do: run the C codec (tests/unit does that,
reusing this script with --valid on the codec's re-encoded output).

Usage: validate_examples.py [--schemas DIR] [--valid DIR ...] [--invalid DIR ...]
Needs Debian's python3-jsonschema (4.10): run it with /usr/bin/python3.
"""
import argparse
import json
import os
import re
import sys
import warnings

from jsonschema import Draft202012Validator, RefResolver
from jsonschema.exceptions import SchemaError, best_match

BASE_URL = "https://truckroll.example/schemas/v1/"
MAX_BYTES = 65536
MAX_DEPTH = 16
SEMANTIC_LIST = "semantic-invalid.txt"


class Reject(Exception):
    """A payload broke one of the rules that hold for every message."""


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise Reject("duplicate key %r" % key)
        obj[key] = value
    return obj


def _no_constant(name):
    raise Reject("%s is not JSON" % name)


def _check_tree(value):
    """Depth, NUL and lone-surrogate checks, iteratively (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise Reject("nesting deeper than %d levels" % MAX_DEPTH)
            children = item.values() if isinstance(item, dict) else item
            strings = list(item.keys()) if isinstance(item, dict) else []
            for child in children:
                stack.append((child, depth + 1))
        else:
            strings = [item] if isinstance(item, str) else []
        for s in strings:
            if "\x00" in s:
                raise Reject("string holds NUL (\\u0000)")
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:
                raise Reject("string holds a lone UTF-16 surrogate escape") from None


def load_payload(data):
    """Parse one payload (bytes) by the wire rules; raise Reject."""
    if len(data) > MAX_BYTES:
        raise Reject("payload is %d bytes, over %d" % (len(data), MAX_BYTES))
    if b"\x00" in data:
        raise Reject("payload holds a raw NUL byte")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Reject("not valid UTF-8 (%s)" % e.reason) from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise Reject("nesting too deep for the parser") from None
    except json.JSONDecodeError as e:
        raise Reject("bad JSON: %s" % e) from None
    _check_tree(value)
    return value


def lint_schema(node, path="#"):
    """The contract's own rules for schemas: every number bounded on both
    sides (so 1e999 fails by range), every string with maxLength, every
    array with maxItems, every object closed. Yield problems."""
    if isinstance(node, list):
        for k, item in enumerate(node):
            yield from lint_schema(item, "%s/%d" % (path, k))
        return
    if not isinstance(node, dict):
        return
    typ = node.get("type")
    fixed = "enum" in node or "const" in node
    if typ in ("integer", "number") and not fixed:
        if "minimum" not in node and "exclusiveMinimum" not in node:
            yield "%s: %s without a minimum" % (path, typ)
        if "maximum" not in node and "exclusiveMaximum" not in node:
            yield "%s: %s without a maximum" % (path, typ)
    if typ == "string" and not fixed and "maxLength" not in node:
        yield "%s: string without maxLength" % path
    if typ == "array" and "maxItems" not in node:
        yield "%s: array without maxItems" % path
    if typ == "object" and node.get("additionalProperties") is not False:
        if path.endswith("/result"):  # response.result: closed by if/then per `re`
            pass
        else:
            yield "%s: object without additionalProperties false" % path
    for key, value in node.items():
        if key in ("enum", "const", "default", "examples", "required"):
            continue
        yield from lint_schema(value, path + "/" + key)


def load_schemas(schema_dir, report):
    """Return ({type: validator}, store). Checks each schema."""
    store, by_name = {}, {}
    names = sorted(f for f in os.listdir(schema_dir) if f.endswith(".schema.json"))
    for fname in names:
        name = fname[: -len(".schema.json")]
        path = os.path.join(schema_dir, fname)
        try:
            with open(path, "rb") as f:
                schema = json.loads(f.read().decode("utf-8"), object_pairs_hook=_no_duplicates)
            Draft202012Validator.check_schema(schema)
        except (Reject, ValueError, SchemaError) as e:
            report(False, "schema %s: %s" % (fname, str(e).splitlines()[0]))
            continue
        problems = []
        if schema.get("$id") != BASE_URL + fname:
            problems.append("$id is %r, want %r" % (schema.get("$id"), BASE_URL + fname))
        if name != "defs":
            const = schema.get("properties", {}).get("type", {}).get("const")
            if const != name:
                problems.append("type const is %r, want %r" % (const, name))
            if schema.get("additionalProperties") is not False:
                problems.append("additionalProperties is not false")
        problems.extend(lint_schema(schema))
        report(not problems, "schema %s%s" % (fname, (": " + "; ".join(problems)) if problems else ""))
        store[schema.get("$id", fname)] = schema
        by_name[name] = schema
    validators = {}
    for name, schema in by_name.items():
        if name == "defs":
            continue
        resolver = RefResolver.from_schema(schema, store=store)
        validators[name] = Draft202012Validator(schema, resolver=resolver)
    return validators


def _where(err):
    path = ""
    for p in err.absolute_path:
        path += "[%d]" % p if isinstance(p, int) else ("." + p if path else p)
    return path or "(top)"


def judge(path, validators):
    """Return None when the file is a valid message, else the reason."""
    fname = os.path.basename(path)
    prefix = fname[: -len(".json")].split("-", 1)[0]
    with open(path, "rb") as f:
        data = f.read()
    try:
        value = load_payload(data)
    except Reject as e:
        return str(e)
    validator = validators.get(prefix)
    if validator is None:
        return "no schema for message type %r (file name prefix)" % prefix
    err = best_match(validator.iter_errors(value))
    if err is None:
        return None
    msg = err.message
    if len(msg) > 160:
        msg = msg[:157] + "..."
    return "%s: %s" % (_where(err), msg)


def json_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".json"))


def read_semantic(invalid_dir):
    names = set()
    for cand in (os.path.join(invalid_dir, SEMANTIC_LIST),
                 os.path.join(os.path.dirname(os.path.abspath(invalid_dir)), SEMANTIC_LIST)):
        if os.path.isfile(cand):
            with open(cand, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        names.add(line)
    return names


def readme_types(schema_dir):
    path = os.path.join(schema_dir, "README.md")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    types = set(re.findall(r"^### `([a-z_.]+)`", text, re.M))
    m = re.search(r"^\| type \| args \|\n\|[- |]+\|\n((?:\|.*\n)+)", text, re.M)
    if m:
        types.update(re.findall(r"^\| `([a-z_.]+)` \|", m.group(1), re.M))
    types.update(re.findall(r"The answer is a `([a-z_]+)`", text))
    return types


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schemas", default=os.path.join(here, "..", "..", "schemas"))
    ap.add_argument("--valid", action="append", default=[], metavar="DIR")
    ap.add_argument("--invalid", action="append", default=[], metavar="DIR")
    args = ap.parse_args(argv)
    default_run = not args.valid and not args.invalid
    if default_run:
        args.valid = [os.path.join(args.schemas, "examples", "valid")]
        args.invalid = [os.path.join(args.schemas, "examples", "invalid")]

    counts = [0, 0]

    def report(ok, line):
        counts[0 if ok else 1] += 1
        if not ok:
            print("FAIL " + line)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        validators = load_schemas(args.schemas, report)
        seen = {"valid": {}, "invalid": {}}

        for d in args.valid:
            files = json_files(d)
            report(bool(files), "valid dir %s holds no .json files" % d)
            for path in files:
                reason = judge(path, validators)
                prefix = os.path.basename(path).split("-", 1)[0]
                seen["valid"][prefix] = seen["valid"].get(prefix, 0) + 1
                if reason is None:
                    report(True, "")
                    print("ok   valid   %s" % os.path.basename(path))
                else:
                    report(False, "valid   %s: rejected: %s" % (os.path.basename(path), reason))

        for d in args.invalid:
            files = json_files(d)
            report(bool(files), "invalid dir %s holds no .json files" % d)
            semantic = read_semantic(d)
            names = {os.path.basename(p) for p in files}
            for missing in sorted(semantic - names):
                report(False, "%s names %s, which is not in %s" % (SEMANTIC_LIST, missing, d))
            for path in files:
                fname = os.path.basename(path)
                reason = judge(path, validators)
                prefix = fname.split("-", 1)[0]
                seen["invalid"][prefix] = seen["invalid"].get(prefix, 0) + 1
                if reason is not None:
                    report(True, "")
                    print("ok   invalid %s: rejected: %s" % (fname, reason))
                elif fname in semantic:
                    report(True, "")
                    print("ok   invalid %s: schema accepts (semantic rule: codec must reject)" % fname)
                else:
                    report(False, "invalid %s: accepted by the schema" % fname)

        if default_run:
            types = readme_types(args.schemas)
            if types is None:
                report(False, "no README.md in %s" % args.schemas)
                types = set()
            for t in sorted(types | set(validators)):
                problems = []
                if t not in types:
                    problems.append("schema not named in README.md")
                if t not in validators:
                    problems.append("no %s.schema.json" % t)
                if seen["valid"].get(t, 0) < 2:
                    problems.append("%d valid examples, want >= 2" % seen["valid"].get(t, 0))
                if seen["invalid"].get(t, 0) < 1:
                    problems.append("no invalid example")
                report(not problems, "type %s: %s" % (t, "; ".join(problems)))

    print("validate_examples: %d passed, %d failed" % (counts[0], counts[1]))
    return 0 if counts[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
