#!/usr/bin/env python3
"""Reference for `tc try stats`, parsing try syntax the way gecko does.

Usage: try_stats_reference.py FILE [--top N]

Each non-blank line of FILE is a push. A line starting with `{` is JSON: its
`message` if that is a string, else its `try_syntax`. Any other line is a
one-line commit message. The message goes through gecko's split_try_msg
(first `try:`, rest of that line, escape_whitespace_in_brackets, shlex.split)
and parse_message (argparse.parse_known_args with gecko's try options, then
`dict(arg.split("=") for arg in setenv)`), from
taskcluster/gecko_taskgraph/try_option_syntax.py. Counts, Top-N option values
and Top-N normalised try strings are printed as one JSON object, shaped like
`tc try stats --format json`.
"""

import argparse
import json
import shlex
import sys
from collections import Counter

RAW_KEYS = [
    "build", "platform", "unittests", "talos", "raptor", "job", "interactive", "notify",
    "rebuild", "rebuild_talos", "rebuild_raptor", "tag", "no_retry", "include_nightly",
    "taskcluster_worker", "artifact", "gecko_profile", "setenv",
]


class ParseError(Exception):
    pass


class RaisingParser(argparse.ArgumentParser):
    def error(self, message):  # never print usage and exit
        raise ParseError(message)


def escape_whitespace_in_brackets(input_str):
    # Same behaviour as gecko's version (which builds the string char by char).
    result = []
    in_brackets = False
    for char in input_str:
        if char == "[":
            in_brackets = True
        elif char == "]":
            in_brackets = False
        elif char == " " and in_brackets:
            result.append("\\ ")
            continue
        result.append(char)
    return "".join(result)


def make_parser():
    p = RaisingParser(add_help=False, exit_on_error=False)
    p.add_argument("-b", "--build", dest="build")
    p.add_argument("-p", "--platform", nargs="?", dest="platform", const="all", default="all")
    p.add_argument("-u", "--unittests", nargs="?", dest="unittests", const="all", default="all")
    p.add_argument("-t", "--talos", nargs="?", dest="talos", const="all", default="none")
    p.add_argument("-r", "--raptor", nargs="?", dest="raptor", const="all", default="none")
    p.add_argument("-i", "--interactive", dest="interactive", action="store_true", default=False)
    p.add_argument("-e", "--all-emails", dest="notify", action="store_const", const="all")
    p.add_argument("-f", "--failure-emails", dest="notify", action="store_const", const="failure")
    p.add_argument("-j", "--job", dest="job", action="append")
    p.add_argument("--rebuild-talos", dest="rebuild_talos", type=int, default=1)
    p.add_argument("--rebuild-raptor", dest="rebuild_raptor", type=int, default=1)
    p.add_argument("--setenv", dest="setenv", action="append")
    p.add_argument("--gecko-profile", dest="gecko_profile", action="store_true")
    p.add_argument("--tag", dest="tag", default=None)
    p.add_argument("--no-retry", dest="no_retry", action="store_true")
    p.add_argument("--include-nightly", dest="include_nightly", action="store_true")
    p.add_argument("--artifact", dest="artifact", action="store_true")
    p.add_argument("-w", "--taskcluster-worker", dest="taskcluster_worker", action="store_true",
                   default=False)
    p.add_argument("--rebuild", dest="rebuild", type=int, default=1)
    return p


def error_kind(message):
    if "expected one argument" in message:
        return "options:missing-value"
    if "invalid int value" in message:
        return "options:invalid-int"
    if "ambiguous option" in message:
        return "options:ambiguous-prefix"
    if "ignored explicit argument" in message:
        return "options:unexpected-value"
    return "options:other"


def hashable(v):
    if isinstance(v, list):
        return ("list", tuple(v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted(v.items())))
    return v


def unhashable(h):
    if isinstance(h, tuple):
        return list(h[1]) if h[0] == "list" else dict(h[1])
    return h


def top(counter, n, parsed):
    items = [(c, json.dumps(unhashable(k), sort_keys=True, separators=(",", ":")), k)
             for k, c in counter.items()]
    items.sort(key=lambda t: (-t[0], t[1]))
    if n:
        items = items[:n]
    return [{"value": unhashable(k), "count": c,
             "percent": round(100.0 * c / parsed, 1) if parsed else 0}
            for c, _, k in items]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--dump-parsed", metavar="PATH",
                    help="write one line per push: parsed|error-kind|none")
    ap.add_argument("--parser-per-message", action="store_true",
                    help="build a new ArgumentParser for every try line, as gecko's "
                         "parse_message does (slower; the default reuses one parser)")
    args = ap.parse_args()

    parser = make_parser()
    pushes = with_try = parsed = 0
    errors = Counter()
    opt_counts = {k: Counter() for k in RAW_KEYS}
    try_strings = Counter()
    dump = open(args.dump_parsed, "w") if args.dump_parsed else None

    with open(args.file, "rb") as fh:
        for bline in fh:
            line = bline.decode("utf-8", "replace")
            stripped = line.strip()
            if not stripped:
                continue
            pushes += 1
            status = "none"
            if stripped[0] == "{":
                try:
                    obj = json.loads(stripped)
                except ValueError:
                    obj = None
                    errors["input:bad-json"] += 1
                    status = "input:bad-json"
                if obj is not None:
                    msg = obj.get("message") if isinstance(obj, dict) else None
                    if not isinstance(msg, str):
                        msg = obj.get("try_syntax") if isinstance(obj, dict) else None
                    if not isinstance(msg, str):
                        errors["input:no-message"] += 1
                        status = "input:no-message"
                        msg = None
            else:
                msg = line.rstrip("\n")
            if status == "none" and msg is not None:
                idx = msg.find("try:")
                if idx >= 0:
                    with_try += 1
                    try_line = msg[idx:].split("\n")[0]
                    try:
                        parts = shlex.split(escape_whitespace_in_brackets(try_line))
                    except ValueError as e:
                        parts = None
                        kind = ("tokenize:unclosed-quote" if "quotation" in str(e)
                                else "tokenize:dangling-escape")
                        errors[kind] += 1
                        status = kind
                    if parts is not None:
                        if args.parser_per_message:
                            parser = make_parser()
                        try:
                            ns, _ = parser.parse_known_args(parts[1:])
                        except (ParseError, argparse.ArgumentError) as e:
                            ns = None
                            kind = error_kind(str(e))
                            errors[kind] += 1
                            status = kind
                        if ns is not None:
                            setenv = {}
                            for arg in ns.setenv or []:
                                kv = arg.split("=")
                                if len(kv) != 2:
                                    setenv = None
                                    break
                                setenv[kv[0]] = kv[1]
                            if setenv is None:
                                errors["options:bad-setenv"] += 1
                                status = "options:bad-setenv"
                            else:
                                parsed += 1
                                status = "parsed"
                                d = vars(ns)
                                d["setenv"] = setenv
                                for k in RAW_KEYS:
                                    opt_counts[k][hashable(d[k])] += 1
                                try_strings[" ".join(parts)] += 1
            if dump:
                dump.write(status + "\n")
    if dump:
        dump.close()

    result = {
        "pushes": pushes,
        "with_try_syntax": with_try,
        "parsed": parsed,
        "errors": dict(sorted(errors.items())),
        "options": {k: top(opt_counts[k], args.top, parsed) for k in RAW_KEYS},
        "try_strings": top(try_strings, args.top, parsed),
    }
    json.dump(result, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
