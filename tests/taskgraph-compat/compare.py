#!/usr/bin/env python3
"""Compare `tc graph` with the real taskgraph (24.5.1) on the corpora in this directory.

This is the comparison harness of taskgraph.md §7.1. For each corpus it copies the corpus
directory to a temporary directory, makes it a git repository (everything committed, branch
`main`, `origin` = https://github.com/example/<name>), and runs, at the repository root:

    taskgraph <stage> -J -p params.yml        versus   TC graph <stage> --format json -p params.yml
    taskgraph <stage>    -p params.yml        versus   TC graph <stage> -p params.yml   (labels)

in a fixed environment: TASKGRAPH_SERIAL=1, TASK_ID unset, TASKCLUSTER_ROOT_URL=https://tc.example.com,
HTTP(S)_PROXY pointing at a dead 127.0.0.1 port (no network).

Comparisons:
  tasks, full, target   deep equality: list order counts, int != float != bool, null != absent
  optimized             taskIds normalised: rekeyed by label, every taskId (also inside strings and
                        keys) replaced by `<label>`, task.dependencies sorted; then deep equality
  labels                the sorted non-empty lines (for the stages full, target and optimized)

Files a corpus directory may hold besides the repository tree:
  params.yml            required; the -p file for both tools
  corpus.json           optional: {"description": str, "covers": [str], "origin": url,
                        "stages": [stage, ...], "needs_orjson": bool}   ("stages": which stages
                        are compared; default all four for a success corpus, none for an error
                        corpus. "needs_orjson": the corpus is skipped unless the reference
                        taskgraph serialises JSON with orjson, as it does when orjson is installed)
  expect-error.json     marks an error corpus: {"stage": stage, "exit_nonzero": true,
                        "tc_exit": 2, "facts": [substrings tc's stderr must contain],
                        "taskgraph_facts": [substrings taskgraph's output must contain]}.
                        taskgraph must fail (or, with "exit_nonzero": false, succeed: the
                        unsupported-input corpora of §5, where "tc_exit" is 3), tc must exit
                        with tc_exit and name every fact on stderr.
  expected-<stage>.json optional: taskgraph's output must also deep-equal this file.

Exit status: 0 everything matched; 1 a mismatch (or, with --taskgraph-only, a corpus that did not
behave as expected); 2 `tc graph` is not available (or a usage error).

Examples:
  compare.py --tc target/release/tc
  compare.py --tc target/release/tc --stage full --corpus example37 --corpus level-1
  compare.py --tc target/release/tc --synthetic 1000 --stage full
  compare.py --taskgraph-only            # check the corpora against taskgraph alone
"""

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPORA_DIR = os.path.join(HERE, "corpora")
STAGES = ["tasks", "full", "target", "optimized"]
LABEL_STAGES = ["full", "target", "optimized"]
ROOT_URL = "https://tc.example.com"
TASKGRAPH_VERSION = "24.5.1"
TIMEOUT = 900

# The parameter file used for `--synthetic N` (the §7.1 pins, plus a files_changed that keeps
# one tenth of the lint tasks in the optimized graph).
SYNTHETIC_PARAMS = """\
build_date: 1700000000
moz_build_date: "20231114221320"
pushdate: 1700000000
head_rev: 0123456789abcdef0123456789abcdef01234567
head_repository: https://github.com/example/synth
files_changed: [src/mod3/lib.rs]
"""
SYNTHETIC_ORIGIN = "https://github.com/example/synth"

# Markers of a `tc` that has no working `graph` command yet.
NOT_AVAILABLE_RE = re.compile(
    r"`?tc graph`? is not implemented|unrecognized subcommand|unrecognised subcommand|"
    r"invalid value 'graph'|no such (sub)?command",
    re.IGNORECASE,
)


# ----------------------------------------------------------------------------------------------
# Deep comparison


def _show(value, limit=120):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tname(value):
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _key_path(path, key):
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def first_diff(a, b, path="$"):
    """The first difference between a (taskgraph) and b (tc), as (path, text), or None.

    Strict: the types must be the same (so 1 != 1.0 != true), list order counts and a null
    value is not an absent key."""
    if type(a) is not type(b):
        return path, f"taskgraph has {_tname(a)} {_show(a)}, tc has {_tname(b)} {_show(b)}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in b:
                return _key_path(path, key), f"only in taskgraph: {_show(a[key])}"
            if key not in a:
                return _key_path(path, key), f"only in tc: {_show(b[key])}"
            d = first_diff(a[key], b[key], _key_path(path, key))
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            n = min(len(a), len(b))
            extra = a[n] if len(a) > n else b[n]
            who = "taskgraph" if len(a) > n else "tc"
            return f"{path}[{n}]", f"lengths {len(a)} (taskgraph) vs {len(b)} (tc); only in {who}: {_show(extra)}"
        return None
    if a != b:
        return path, f"taskgraph {_show(a)} != tc {_show(b)}"
    return None


def diff_documents(tg, tc):
    """None if equal, else a short multi-line summary of how the tc document differs."""
    if not isinstance(tg, dict) or not isinstance(tc, dict):
        d = first_diff(tg, tc)
        return None if d is None else f"{d[0]}: {d[1]}"
    only_tg = sorted(set(tg) - set(tc))
    only_tc = sorted(set(tc) - set(tg))
    lines = []

    def names(keys):
        shown = ", ".join(keys[:5])
        return shown + (f", ... ({len(keys)} in all)" if len(keys) > 5 else "")

    if only_tg:
        lines.append(f"{len(only_tg)} task(s) only in taskgraph: {names(only_tg)}")
    if only_tc:
        lines.append(f"{len(only_tc)} task(s) only in tc: {names(only_tc)}")
    differing = []
    first = None
    for key in sorted(set(tg) & set(tc)):
        d = first_diff(tg[key], tc[key], _key_path("$", key))
        if d:
            differing.append(key)
            if first is None:
                first = d
    if first:
        lines.append(f"{len(differing)} of {len(set(tg) & set(tc))} common task(s) differ; first: {first[0]}: {first[1]}")
    return "\n".join(lines) if lines else None


# ----------------------------------------------------------------------------------------------
# The optimized graph: taskIds normalised to labels

SLUGID_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def normalize_optimized(doc, tool):
    """Rekey an optimized graph by label and replace its taskIds by `<label>` everywhere.

    Returns (normalised document, list of problems). taskIds that are not keys of the document
    (existing_tasks replacements) are left as they are: they come from the parameters."""
    problems = []
    if not isinstance(doc, dict):
        return doc, [f"{tool}: the optimized graph is not a JSON object"]
    id_to_label = {}
    for task_id, task in doc.items():
        if not isinstance(task, dict) or not isinstance(task.get("label"), str):
            problems.append(f"{tool}: entry {task_id!r} has no label")
            continue
        if task.get("task_id") != task_id:
            problems.append(f"{tool}: entry {task_id!r} has task_id {task.get('task_id')!r}")
        if not SLUGID_RE.match(task_id):
            problems.append(f"{tool}: {task_id!r} (task {task['label']}) is not a 22-character slugid")
        id_to_label[task_id] = task["label"]
    if len(set(id_to_label.values())) != len(id_to_label):
        problems.append(f"{tool}: a label appears under several taskIds")
    if id_to_label:
        pattern = re.compile("|".join(re.escape(i) for i in sorted(id_to_label, key=len, reverse=True)))

        def sub(s):
            return pattern.sub(lambda m: "<" + id_to_label[m.group(0)] + ">", s)

    else:

        def sub(s):
            return s

    def walk(v):
        if isinstance(v, str):
            return sub(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {sub(k): walk(x) for k, x in v.items()}
        return v

    out = {}
    for task_id, task in doc.items():
        if task_id not in id_to_label:
            continue
        norm = walk(task)
        inner = norm.get("task")
        if isinstance(inner, dict) and isinstance(inner.get("dependencies"), list):
            inner["dependencies"] = sorted(inner["dependencies"], key=lambda x: json.dumps(x, sort_keys=True))
        out[id_to_label[task_id]] = norm
    return out, problems


# ----------------------------------------------------------------------------------------------
# Running things


class Result:
    def __init__(self, cmd, rc, stdout, stderr, secs, error=None):
        self.cmd, self.rc, self.stdout, self.stderr, self.secs, self.error = cmd, rc, stdout, stderr, secs, error

    @property
    def ok(self):
        return self.error is None and self.rc == 0

    def brief_error(self, lines=3):
        if self.error:
            return self.error
        text = [l for l in self.stderr.splitlines() if l.strip() and not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - (INFO|DEBUG) - ", l)]
        tail = text[-lines:] if text else ["(no stderr)"]
        return f"exit {self.rc}: " + " | ".join(t.strip() for t in tail)


def run(cmd, cwd, env, timeout=TIMEOUT):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout)
    except (FileNotFoundError, PermissionError, OSError) as e:
        return Result(cmd, None, "", "", time.monotonic() - t0, error=f"cannot run {cmd[0]}: {e}")
    except subprocess.TimeoutExpired:
        return Result(cmd, None, "", "", time.monotonic() - t0, error=f"timed out after {timeout}s")
    return Result(
        cmd,
        p.returncode,
        p.stdout.decode("utf-8", "replace"),
        p.stderr.decode("utf-8", "replace"),
        time.monotonic() - t0,
    )


def dead_port():
    """A local TCP port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_env():
    env = dict(os.environ)
    for key in ("TASK_ID", "TASKGRAPH_OPTIMIZE_STRATEGIES", "TASKGRAPH_USE_THREADS", "TASKCLUSTER_PROXY_URL",
                "MOZ_AUTOMATION", "NO_PROXY", "no_proxy"):
        env.pop(key, None)
    proxy = f"http://127.0.0.1:{dead_port()}"
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[key] = proxy
    env["TASKCLUSTER_ROOT_URL"] = ROOT_URL
    env["TASKGRAPH_SERIAL"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def git(repo, *args):
    env = dict(os.environ)
    env.update(GIT_AUTHOR_DATE="2023-11-14T22:13:20Z", GIT_COMMITTER_DATE="2023-11-14T22:13:20Z")
    cmd = ["git", "-c", "user.name=tc compat", "-c", "user.email=compat@example.com",
           "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args]
    p = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stdout


def make_repo(src, dest, origin):
    """Copy a corpus to dest and make it a committed git repository with that origin."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git(dest, "init", "-q")
    git(dest, "symbolic-ref", "HEAD", "refs/heads/main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-verify", "-m", f"corpus {os.path.basename(dest)}")
    git(dest, "remote", "add", "origin", origin)


# ----------------------------------------------------------------------------------------------
# Corpora


class Corpus:
    def __init__(self, name, path, generated=None):
        self.name, self.path, self.generated = name, path, generated
        meta_path = os.path.join(path, "corpus.json") if path else None
        self.meta = {}
        if meta_path and os.path.exists(meta_path):
            with open(meta_path) as f:
                self.meta = json.load(f)
        self.expect_error = None
        err_path = os.path.join(path, "expect-error.json") if path else None
        if err_path and os.path.exists(err_path):
            with open(err_path) as f:
                self.expect_error = json.load(f)
            if self.expect_error.get("stage") not in STAGES:
                raise ValueError(f"{err_path}: 'stage' must be one of {STAGES}")
        self.origin = self.meta.get("origin", f"https://github.com/example/{name}")
        default_stages = [] if self.expect_error else list(STAGES)
        self.stages = [s for s in self.meta.get("stages", default_stages) if s in STAGES]
        self.needs_orjson = bool(self.meta.get("needs_orjson"))

    @property
    def description(self):
        d = self.meta.get("description") or (self.expect_error or {}).get("description") or ""
        return d

    def expected(self, stage):
        if not self.path:
            return None
        p = os.path.join(self.path, f"expected-{stage}.json")
        if os.path.exists(p):
            with open(p) as f:
                return json.load(f)
        return None


def list_corpora():
    if not os.path.isdir(CORPORA_DIR):
        return []
    return sorted(n for n in os.listdir(CORPORA_DIR) if os.path.isfile(os.path.join(CORPORA_DIR, n, "params.yml")))


def find_generator(explicit):
    candidates = [explicit] if explicit else [
        os.environ.get("TC_SYNTHETIC_GENERATOR"),
        os.path.join(HERE, "..", "..", "scripts", "synthetic-repo.py"),
    ]
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.abspath(c)
    return None


# ----------------------------------------------------------------------------------------------
# The checks of one corpus


class Verdicts:
    """The verdict lines of one corpus, plus whether any check failed."""

    def __init__(self, corpus):
        self.corpus = corpus
        self.lines = []
        self.failed = False
        self.unavailable = False

    def add(self, status, check, text=""):
        if status in ("FAIL", "UNEXPECTED"):
            self.failed = True
        head = f"{status:<10} {self.corpus:<28} {check}"
        if text:
            first, *rest = text.splitlines()
            head += f": {first}"
            for r in rest:
                head += f"\n{'':<11}{'':<28} {r}"
        self.lines.append(head)


def tg_cmd(args, stage, json_out=True):
    cmd = shlex.split(args.taskgraph) + [stage]
    if json_out:
        cmd.append("-J")
    return cmd + ["-p", "params.yml"]


def tc_cmd(args, stage, json_out=True):
    cmd = [args.tc, "graph", stage]
    if json_out:
        cmd += ["--format", "json"]
    return cmd + ["-p", "params.yml"]


def save(args, outdir, name, result):
    if not args.keep or outdir is None:
        return
    with open(os.path.join(outdir, name + ".out"), "w") as f:
        f.write(result.stdout)
    with open(os.path.join(outdir, name + ".err"), "w") as f:
        f.write(result.stderr if result.error is None else result.error + "\n")
    with open(os.path.join(outdir, name + ".cmd"), "w") as f:
        f.write(" ".join(shlex.quote(c) for c in result.cmd) + f"\n# exit {result.rc} in {result.secs:.2f}s\n")


def parse_json(result, tool):
    try:
        return json.loads(result.stdout), None
    except ValueError as e:
        return None, f"{tool} printed no valid JSON ({e})"


def tc_unavailable(result):
    if result.error and "cannot run" in result.error:
        return True
    return result.rc not in (0, None) and bool(NOT_AVAILABLE_RE.search(result.stderr + result.stdout))


def check_corpus(corpus, args, env, work_root):
    v = Verdicts(corpus.name)
    if corpus.needs_orjson and not args.orjson:
        v.add("SKIP", "all", "needs a taskgraph that serialises JSON with orjson (not installed)")
        return v
    repo = os.path.join(work_root, corpus.name)
    outdir = None
    if args.keep:
        outdir = repo + ".out"
        os.makedirs(outdir, exist_ok=True)
    try:
        if corpus.generated:
            os.makedirs(repo + ".src")
            gen = subprocess.run([sys.executable, args.generator_path, repo + ".src", str(corpus.generated)],
                                 capture_output=True, text=True)
            if gen.returncode:
                v.add("FAIL", "setup", f"the synthetic generator failed: {gen.stderr.strip()}")
                return v
            with open(os.path.join(repo + ".src", "params.yml"), "w") as f:
                f.write(SYNTHETIC_PARAMS)
            make_repo(repo + ".src", repo, corpus.origin)
            shutil.rmtree(repo + ".src")
        else:
            make_repo(corpus.path, repo, corpus.origin)
    except (OSError, RuntimeError) as e:
        v.add("FAIL", "setup", str(e))
        return v

    json_stages = [s for s in corpus.stages if s in args.json_stages]
    label_stages = [s for s in corpus.stages if s in args.label_stages]
    skipped = [s for s in args.json_stages if s not in corpus.stages and not corpus.expect_error]

    if args.taskgraph_only:
        taskgraph_only(corpus, args, env, repo, outdir, v, json_stages)
        return v

    for stage in json_stages:
        compare_json(corpus, args, env, repo, outdir, v, stage)
        if v.unavailable:
            return v
    for stage in label_stages:
        compare_labels(args, env, repo, outdir, v, stage)
        if v.unavailable:
            return v
    if corpus.expect_error:
        compare_error(corpus, args, env, repo, outdir, v)
    for stage in skipped:
        v.add("SKIP", stage, "not compared for this corpus (corpus.json 'stages')")
    return v


def taskgraph_only(corpus, args, env, repo, outdir, v, json_stages):
    for stage in json_stages:
        tg = run(tg_cmd(args, stage), repo, env)
        save(args, outdir, f"taskgraph-{stage}", tg)
        if not tg.ok:
            v.add("UNEXPECTED", stage, f"taskgraph failed: {tg.brief_error()}")
            continue
        doc, err = parse_json(tg, "taskgraph")
        if err:
            v.add("UNEXPECTED", stage, err)
            continue
        expected = corpus.expected(stage)
        if expected is not None:
            d = diff_documents(expected, doc)
            if d:
                v.add("UNEXPECTED", stage, f"taskgraph differs from expected-{stage}.json (taskgraph shown as tc):\n{d}")
                continue
        note = f" (= expected-{stage}.json)" if expected is not None else ""
        v.add("OK", stage, f"taskgraph succeeded, {len(doc)} tasks, {tg.secs:.2f}s{note}")
    if corpus.expect_error:
        e = corpus.expect_error
        stage = e["stage"]
        tg = run(tg_cmd(args, stage), repo, env)
        save(args, outdir, f"taskgraph-error-{stage}", tg)
        status, text = judge_taskgraph_error(e, tg)
        v.add("OK" if status else "UNEXPECTED", f"error@{stage}", text)


def judge_taskgraph_error(e, tg):
    """(ok, text) for taskgraph's run on an error (or unsupported-input) corpus."""
    want_fail = e.get("exit_nonzero", True)
    if tg.error:
        return False, f"taskgraph: {tg.error}"
    if want_fail and tg.rc == 0:
        return False, "taskgraph succeeded, but this corpus expects it to fail"
    if not want_fail and tg.rc != 0:
        return False, f"taskgraph failed, but this corpus expects it to succeed: {tg.brief_error()}"
    text = tg.stdout + tg.stderr
    missing = [f for f in e.get("taskgraph_facts", []) if f not in text]
    if missing:
        return False, f"taskgraph's output lacks {missing!r}: {tg.brief_error()}"
    if want_fail:
        return True, f"taskgraph failed as expected ({tg.brief_error(1)})"
    return True, "taskgraph succeeded as expected (unsupported input: tc must refuse)"


def compare_json(corpus, args, env, repo, outdir, v, stage):
    tc = run(tc_cmd(args, stage), repo, env)
    save(args, outdir, f"tc-{stage}", tc)
    if tc_unavailable(tc):
        v.unavailable = True
        v.add("N/A", stage, f"tc graph not available ({tc.brief_error(1)})")
        return
    tg = run(tg_cmd(args, stage), repo, env)
    save(args, outdir, f"taskgraph-{stage}", tg)
    if not tg.ok:
        v.add("FAIL", stage, f"taskgraph failed on a success corpus: {tg.brief_error()}")
        return
    tg_doc, err = parse_json(tg, "taskgraph")
    if err:
        v.add("FAIL", stage, err)
        return
    expected = corpus.expected(stage)
    if expected is not None:
        d = diff_documents(expected, tg_doc)
        if d:
            v.add("FAIL", stage, f"taskgraph differs from expected-{stage}.json (taskgraph shown as tc):\n{d}")
            return
    if not tc.ok:
        v.add("FAIL", stage, f"tc failed: {tc.brief_error()}")
        return
    tc_doc, err = parse_json(tc, "tc")
    if err:
        v.add("FAIL", stage, err)
        return
    problems = []
    if stage == "optimized":
        tg_doc, p1 = normalize_optimized(tg_doc, "taskgraph")
        tc_doc, p2 = normalize_optimized(tc_doc, "tc")
        problems = p1 + p2
    d = diff_documents(tg_doc, tc_doc)
    if problems or d:
        v.add("FAIL", stage, "\n".join(problems + ([d] if d else [])))
        return
    if args.bytes and stage != "optimized" and tc.stdout != tg.stdout[:-1]:
        v.add("FAIL", stage, "equal values, but the text is not byte-compatible (taskgraph's output minus one trailing newline)")
        return
    speed = f"taskgraph {tg.secs:.2f}s, tc {tc.secs:.3f}s" + (f" ({tg.secs / tc.secs:.0f}x)" if tc.secs > 0 else "")
    v.add("PASS", stage, f"{len(tg_doc)} tasks; {speed}")


def compare_labels(args, env, repo, outdir, v, stage):
    check = f"labels:{stage}"
    tc = run(tc_cmd(args, stage, json_out=False), repo, env)
    save(args, outdir, f"tc-labels-{stage}", tc)
    if tc_unavailable(tc):
        v.unavailable = True
        v.add("N/A", check, f"tc graph not available ({tc.brief_error(1)})")
        return
    tg = run(tg_cmd(args, stage, json_out=False), repo, env)
    save(args, outdir, f"taskgraph-labels-{stage}", tg)
    if not tg.ok:
        v.add("FAIL", check, f"taskgraph failed on a success corpus: {tg.brief_error()}")
        return
    if not tc.ok:
        v.add("FAIL", check, f"tc failed: {tc.brief_error()}")
        return
    a = sorted(l for l in tg.stdout.splitlines() if l.strip())
    b = sorted(l for l in tc.stdout.splitlines() if l.strip())
    if a == b:
        v.add("PASS", check, f"{len(a)} labels")
        return
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    text = f"{len(a)} labels (taskgraph) vs {len(b)} (tc)"
    if only_a:
        text += f"; only in taskgraph: {', '.join(only_a[:5])}"
    if only_b:
        text += f"; only in tc: {', '.join(only_b[:5])}"
    if not only_a and not only_b:
        text += "; the same labels with different repetitions"
    v.add("FAIL", check, text)


def compare_error(corpus, args, env, repo, outdir, v):
    e = corpus.expect_error
    stage = e["stage"]
    check = f"error@{stage}"
    want_tc = e.get("tc_exit", 2)
    tc = run(tc_cmd(args, stage), repo, env)
    save(args, outdir, f"tc-error-{stage}", tc)
    if tc_unavailable(tc):
        v.unavailable = True
        v.add("N/A", check, f"tc graph not available ({tc.brief_error(1)})")
        return
    tg = run(tg_cmd(args, stage), repo, env)
    save(args, outdir, f"taskgraph-error-{stage}", tg)
    ok, tg_text = judge_taskgraph_error(e, tg)
    if not ok:
        v.add("FAIL", check, f"bad corpus: {tg_text}")
        return
    problems = []
    if tc.error:
        problems.append(tc.error)
    elif tc.rc != want_tc:
        problems.append(f"tc exited {tc.rc}, expected {want_tc}")
    missing = [f for f in e.get("facts", []) if f not in tc.stderr]
    if missing and not tc.error:
        problems.append("tc's stderr lacks " + ", ".join(repr(m) for m in missing))
    if problems:
        shown = [l for l in tc.stderr.splitlines() if l.strip()][:4]
        v.add("FAIL", check, "; ".join(problems) + ("\ntc stderr: " + " | ".join(shown) if shown else ""))
        return
    v.add("PASS", check, f"tc exited {tc.rc} naming {len(e.get('facts', []))} fact(s)")


# ----------------------------------------------------------------------------------------------


def tc_probe(tc, env):
    """None if `tc graph` looks usable, else why not. Run in an empty directory: a working tc
    fails there with a configuration error; a stub says it is not implemented."""
    if not (os.path.isfile(tc) or shutil.which(tc)):
        return f"{tc}: no such executable"
    with tempfile.TemporaryDirectory(prefix="tc-compat-probe-") as d:
        r = run([tc, "graph", "full", "--format", "json", "-p", "params.yml"], d, env, timeout=60)
    if r.error:
        return r.error
    if NOT_AVAILABLE_RE.search(r.stderr + r.stdout):
        return r.brief_error(1)
    return None


def reference_info(args):
    """Warn when the reference is not taskgraph 24.5.1; say whether it serialises JSON with
    orjson (taskgraph.util.json uses orjson when importable: raw UTF-8, orjson's float
    format, dates as ISO strings, non-string keys an error). Returns True for orjson."""
    python = args.taskgraph_python or sys.executable
    probe = ("import importlib.metadata as m, importlib.util as u\n"
             "print(m.version('taskcluster-taskgraph'), bool(u.find_spec('orjson')))")
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60).stdout.split()
    except OSError:
        out = []
    if len(out) != 2:
        print(f"warning: could not ask {python} about taskgraph; assuming orjson is installed", file=sys.stderr)
        return True
    version, orjson = out[0], out[1] == "True"
    if version != TASKGRAPH_VERSION:
        print(f"warning: the reference is taskcluster-taskgraph {version}, not {TASKGRAPH_VERSION}", file=sys.stderr)
    print(f"reference: taskgraph {version}, JSON via {'orjson' if orjson else 'the stdlib json'}", file=sys.stderr)
    return orjson


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=None,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tc", help="path to the tc binary (required unless --taskgraph-only)")
    ap.add_argument("--stage", default="all", choices=STAGES + ["labels", "all"],
                    help="what to compare (default all: the four JSON stages plus labels)")
    ap.add_argument("--corpus", action="append", default=[], metavar="NAME",
                    help="only this corpus: a name in corpora/ or a directory path such as examples/intree"
                         " (repeatable; default: every corpus in corpora/)")
    ap.add_argument("--synthetic", action="append", type=int, default=[], metavar="N",
                    help="also (or, without --corpus, only) a synthetic corpus of N tasks, generated now")
    ap.add_argument("--generator", help="path to a synthetic repository generator, OUTDIR N (default: scripts/synthetic-repo.py)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary repositories and every output")
    ap.add_argument("--taskgraph-only", action="store_true",
                    help="only run taskgraph on the corpora and report whether each behaves as expected")
    ap.add_argument("--taskgraph", default="taskgraph", help="taskgraph command (default: taskgraph on PATH)")
    ap.add_argument("--taskgraph-python", help="the Python that has taskgraph installed (default: this one)")
    ap.add_argument("--bytes", action="store_true",
                    help="also require tc's JSON text to be byte-compatible with taskgraph's (tasks/full/target;"
                         " taskgraph's text depends on whether it found orjson)")
    ap.add_argument("-j", "--jobs", type=int, default=min(4, os.cpu_count() or 1), help="corpora checked in parallel")
    ap.add_argument("--list", action="store_true", help="list the corpora and exit")
    args = ap.parse_args(argv)

    if args.stage == "all":
        args.json_stages, args.label_stages = list(STAGES), list(LABEL_STAGES)
    elif args.stage == "labels":
        args.json_stages, args.label_stages = [], list(LABEL_STAGES)
    else:
        args.json_stages, args.label_stages = [args.stage], []
    if args.taskgraph_only:
        args.json_stages, args.label_stages = list(STAGES) if args.stage in ("all", "labels") else [args.stage], []

    names = args.corpus or ([] if args.synthetic else list_corpora())
    corpora = []
    for n in names:
        path = os.path.join(CORPORA_DIR, n)
        if os.path.sep in n and os.path.isfile(os.path.join(n, "params.yml")):
            path = os.path.abspath(n)  # a directory elsewhere, e.g. examples/intree
            n = os.path.basename(path.rstrip(os.path.sep))
        if not os.path.isfile(os.path.join(path, "params.yml")):
            ap.error(f"no corpus {n!r} (expected {path}/params.yml)")
        corpora.append(Corpus(n, path))
    if args.synthetic:
        args.generator_path = find_generator(args.generator)
        if not args.generator_path:
            ap.error("--synthetic needs a generator: pass --generator PATH")
        for n in args.synthetic:
            c = Corpus(f"gen-synthetic-{n}", None, generated=n)
            c.origin = SYNTHETIC_ORIGIN
            corpora.append(c)

    if args.list:
        for c in corpora:
            kind = "unsupported" if (c.expect_error or {}).get("tc_exit") == 3 else "error" if c.expect_error else "success"
            print(f"{c.name:<28} {kind:<12} {c.description}")
        return 0

    env = make_env()
    if not args.taskgraph_only:
        if not args.tc:
            ap.error("--tc is required (or use --taskgraph-only)")
        args.tc = os.path.abspath(args.tc) if os.path.sep in args.tc else args.tc
        why = tc_probe(args.tc, env)
        if why:
            for c in corpora:
                print(f"{'N/A':<10} {c.name:<28} tc graph not available ({why})")
            print(f"\n{len(corpora)} corpora: tc graph not available")
            return 2

    args.orjson = reference_info(args)

    work_root = tempfile.mkdtemp(prefix="tc-compat-")
    failed = unavailable = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            for v in ex.map(lambda c: check_corpus(c, args, env, work_root), corpora):
                for line in v.lines:
                    print(line, flush=True)
                failed += v.failed
                unavailable += v.unavailable
    finally:
        if args.keep:
            print(f"\nkept the repositories and outputs in {work_root}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)

    what = "behaved unexpectedly" if args.taskgraph_only else "mismatched"
    summary = f"\n{len(corpora)} corpora: {failed} {what}"
    if unavailable:
        summary += f", {unavailable} without tc graph"
    print(summary)
    if failed:
        return 1
    if unavailable:
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
