#!/usr/bin/env python3
"""Generate realistic commit messages, some carrying Mozilla try syntax.

Usage: gen-try-messages.py OUT N [--seed S] [--layout jsonl|lines]

Writes N messages to OUT (`-` for stdout):
  jsonl  one JSON object per line, {"message": "..."} (multi-line commit messages)
  lines  one one-line commit message per line

Mix (approximate): 65% ordinary commit messages without `try:`, 34% with a try line
drawn from a Zipf-like distribution over a few thousand distinct option
combinations, 1% malformed try lines (unclosed quote, `-b` without value,
ambiguous `--reb 3`, `--setenv FOO`). Output is deterministic for a given seed.
"""

import argparse
import itertools
import json
import random
import sys

PLATFORMS = [
    "linux64", "linux", "win64", "win32", "macosx64", "linux64-asan", "win64-aarch64",
    "android-api-16", "android-x86_64", "android-aarch64", "linux64-shippable",
    "win64-shippable", "macosx64-shippable", "linux64-tsan", "win64-asan",
    "linux64-ccov", "android-api-16-ccov", "macosx64-aarch64", "linux64-noopt",
    "win32-shippable", "linux-shippable", "linux64-base-toolchains",
]
PLATFORM_WEIGHTS = [30, 8, 22, 10, 15, 6, 3, 5, 3, 3, 4, 3, 2, 2, 2, 1, 1, 2, 1, 1, 1, 1]

TESTS = [
    "mochitest-bc", "mochitest-dt", "xpcshell", "gtest", "reftest", "crashtest",
    "web-platform-tests", "mochitest", "mochitests", "jsreftest", "marionette", "cppunit",
    "mochitest-gl", "mochitest-chrome", "mochitest-a11y", "mochitest-media", "jittest",
    "mochitest-e10s", "web-platform-tests-wdspec", "web-platform-tests-reftests",
    "firefox-ui-functional", "mochitest-browser-chrome", "mochitest-devtools-chrome",
    "reftest-no-accel", "telemetry-tests-client", "mochitest-plain", "mochitest-gpu",
    "mochitest-webgl1-core", "mochitest-remote", "test-verify",
]
TEST_WEIGHTS = [20, 12, 18, 8, 10, 6, 10, 6, 2, 4, 3, 2, 3, 3, 2, 2, 3, 2, 2, 1, 1, 4, 3, 1, 1,
                3, 1, 1, 1, 1]
CHUNKABLE = ["mochitest", "mochitest-browser-chrome", "mochitest-devtools-chrome", "reftest",
             "web-platform-tests", "xpcshell", "mochitest-e10s", "crashtest", "mochitest-plain",
             "jsreftest", "mochitest-webgl1-core"]
BRACKETS = [
    "Windows 10", "x64", "Ubuntu", "linux64", "windows10-64", "linux1804-64", "macosx1015-64",
    "-windows10-64", "-linux1804-64", "Android 7.0 Samsung A51 32bit",
    "Android 13.0 Google Pixel 5 64bit", "windows7-32", "linux1804-64-asan",
    "Android 14.0 Samsung A55 64bit", "macosx1100-64",
]
BRACKET_WEIGHTS = [14, 10, 6, 6, 5, 5, 4, 3, 2, 2, 2, 3, 2, 1, 2]
TALOS = ["chromez", "dromaeojs", "g1", "g2", "other", "svgr", "tp5o", "damp", "xperf",
         "perf-reftest", "tp5o[Windows 10]", "damp[x64]", "chromez-e10s", "g4", "h1"]
RAPTOR = ["raptor-tp6-1", "raptor-speedometer", "raptor-motionmark", "raptor-tp6m-1",
          "raptor-stylebench", "raptor-sunspider", "raptor-wasm-godot", "raptor-tp6-2"]
JOBS = ["eslint", "flake8", "source-test", "mozlint", "python-tests", "spidermonkey",
        "eslint,flake8", "all", "none", "clang-format", "rust-tests", "shellcheck", "doc"]
SETENV = ["MOZ_LOG=sync:5", "MOZ_CHAOSMODE=0xfb", "MOZ_LOG=nsHttp:5", "RUST_BACKTRACE=1",
          "MOZ_DISABLE_NONLOCAL_CONNECTIONS=1", "MOZHARNESS_TEST_PATHS=dom/base",
          "MOZ_WEBRENDER=1", "GECKO_PROFILER_ENTRIES=1000000", "EMPTY=", "MOZ_LOG=timestamp,Widget:5"]
TAGS = ["devtools", "webextensions", "media", "'browser chrome'", "\"remote settings\"",
        "a11y", "webgpu", "sync", "fission", "profiler"]

COMPONENTS = ["DOM", "Layout", "Graphics", "JavaScript Engine", "Networking", "Storage",
              "DevTools", "WebRTC", "Audio/Video", "Widget", "XPCOM", "Build Config",
              "Toolkit", "Firefox UI", "Telemetry", "IPC", "WebExtensions", "Places"]
VERBS = ["Fix", "Remove", "Add", "Implement", "Refactor", "Update", "Avoid", "Handle",
         "Make", "Use", "Move", "Rename", "Clean up", "Support", "Simplify", "Disable"]
THINGS = ["crash when closing tabs", "leak in nsDocShell", "assertion in nsFrame::Reflow",
          "race in CacheStorage", "intermittent timeout", "unused includes", "null check",
          "wrong scroll offset", "OOM in ArrayBuffer", "flaky test_bug123456.html",
          "shutdown hang", "UAF in MediaDecoder", "telemetry probe", "RefPtr usage",
          "preference observer", "async stack traces", "font fallback", "HTTP/3 framing",
          "WebGL context loss", "Rust bindings", "IPDL actor lifetime", "session restore"]
REVIEWERS = ["smaug", "emilio", "jgilbert", "glandium", "mccr8", "jandem", "valentin",
             "asuth", "ochameau", "padenot", "jrmuizel", "froydnj", "Gijs", "mconley",
             "ahal", "jmaher", "sfink", "nika", "dholbert", "bholley"]
SENTENCES = [
    "The previous code assumed the frame was always reflowed before painting.",
    "This can happen when the document is torn down during an async callback.",
    "We now hold a strong reference until the runnable completes.",
    "Also removes a few unused includes while here.",
    "The test was racing with the idle callback; wait for the load event instead.",
    "No functional change intended.",
    "Depends on D123456.",
    "This matches what the spec says about 'auto' values.",
    "It's a bit awkward, but it avoids an extra allocation per call.",
    "See the bug for the full stack trace and the analysis.",
    "The fuzzers hit this with a nested iframe; the testcase is attached.",
    "Keep the old behaviour behind a pref for now.",
    "Tabs\tand odd  spacing are preserved here on purpose.",
    "Add a gtest covering the empty-buffer case.",
    "We don't need the lock here since this runs on the main thread only.",
]
DIFF = "Differential Revision: https://phabricator.services.mozilla.com/D"


def _bracket(rng):
    k = rng.choice([1, 1, 1, 1, 2, 2, 3])
    items = rng.choices(BRACKETS, BRACKET_WEIGHTS, k=k)
    return "[" + ",".join(dict.fromkeys(items)) + "]"


def _test_item(rng):
    r = rng.random()
    if r < 0.15:
        name = f"{rng.choice(CHUNKABLE)}-{rng.randint(1, 16)}"
    else:
        name = rng.choices(TESTS, TEST_WEIGHTS)[0]
    if rng.random() < 0.18:
        name += _bracket(rng)
    return name


def _combo(rng):
    """One random try option string (without the leading `try:`)."""
    parts = []
    # -b
    r = rng.random()
    b = rng.choices(["do", "o", "d", "od"], [60, 25, 12, 3])[0]
    if r < 0.90:
        q = rng.random()
        if q < 0.87:
            parts.append("-b " + b)
        elif q < 0.97:
            parts.append("-b" + b)  # attached value
        else:
            parts.append("--build " + b)
    # -p
    r = rng.random()
    if r < 0.12:
        parts.append("-p all")
    elif r < 0.92:
        k = rng.choices([1, 2, 3, 4, 6], [40, 30, 15, 10, 5])[0]
        plats = list(dict.fromkeys(rng.choices(PLATFORMS, PLATFORM_WEIGHTS, k=k)))
        sep = "," if rng.random() < 0.98 else ", "
        opt = "-p" if rng.random() < 0.95 else "--platform"
        if rng.random() < 0.03:
            parts.append(f"{opt}={sep.join(plats)}" if opt == "--platform"
                         else f"-p{sep.join(plats)}")
        else:
            parts.append(f"{opt} {sep.join(plats)}")
    # -u
    r = rng.random()
    if r < 0.22:
        parts.append("-u " + rng.choice(["all", "all", "all", "none", "none"]))
    elif r < 0.85:
        k = rng.choices([1, 2, 3, 4, 5], [35, 30, 18, 10, 7])[0]
        tests = ",".join(dict.fromkeys(_test_item(rng) for _ in range(k)))
        q = rng.random()
        if q < 0.04 and " " not in tests:
            tests = f"'{tests}'"
        elif q < 0.06:
            tests = f'"{tests}"'
        parts.append(("-u " if rng.random() < 0.97 else "--unittests ") + tests)
    # -t / -r
    r = rng.random()
    if r < 0.55:
        parts.append("-t none")
    elif r < 0.72:
        parts.append("-t " + ",".join(dict.fromkeys(rng.choices(TALOS, k=rng.randint(1, 3)))))
    elif r < 0.76:
        parts.append("-t all" if rng.random() < 0.5 else "-t")
    r = rng.random()
    if r < 0.10:
        parts.append("-r " + ",".join(dict.fromkeys(rng.choices(RAPTOR, k=rng.randint(1, 2)))))
    elif r < 0.12:
        parts.append("-r none")
    # -j
    if rng.random() < 0.08:
        for _ in range(rng.choice([1, 1, 1, 2])):
            parts.append("-j " + rng.choice(JOBS))
    # flags
    if rng.random() < 0.04:
        parts.append(rng.choice(["-i", "--interactive"]))
    r = rng.random()
    if r < 0.05:
        parts.append("-e")
    elif r < 0.08:
        parts.append(rng.choice(["-f", "--failure-emails"]))
    if rng.random() < 0.03:
        parts.append("--artifact")
    if rng.random() < 0.02:
        parts.append("--no-retry")
    if rng.random() < 0.02:
        parts.append("--gecko-profile")
    if rng.random() < 0.01:
        parts.append("--include-nightly")
    if rng.random() < 0.005:
        parts.append("-w")
    if rng.random() < 0.05:
        for _ in range(rng.choice([1, 1, 2])):
            parts.append("--setenv " + rng.choice(SETENV))
    if rng.random() < 0.04:
        parts.append("--tag " + rng.choice(TAGS))
    r = rng.random()
    if r < 0.12:
        parts.append(f"--rebuild {rng.choice([2, 2, 3, 5, 10, 20])}")
    elif r < 0.14:
        parts.append(f"--rebuild-talos {rng.choice([2, 5, 6, 10])}")
    elif r < 0.15:
        parts.append(f"--rebuild-raptor {rng.choice([2, 3, 5])}")
    # occasional oddities that parse fine
    r = rng.random()
    if r < 0.01:
        parts.append("--plat linux64")  # unique prefix
    elif r < 0.015:
        parts.append("--some-unknown-flag")
    elif r < 0.02:
        parts.append("-- -p win32")  # ignored after --
    # keep -b first most of the time, otherwise shuffle a little
    if rng.random() < 0.1:
        rng.shuffle(parts)
    sep = "  " if rng.random() < 0.03 else " "
    return sep.join(parts)


MALFORMED = [
    lambda rng, c: c + " --tag 'unfinished business",               # unclosed quote
    lambda rng, c: c.replace(" -u ", ' -u "', 1) if " -u " in c else c + ' -u "xpcshell',
    lambda rng, c: c + " -b",                                        # -b without value
    lambda rng, c: "-b -p " + rng.choice(PLATFORMS) + " -u xpcshell",
    lambda rng, c: c + " --reb 3",                                   # ambiguous prefix
    lambda rng, c: c + " --setenv FOO",                              # bad setenv
]


def build_pool(rng, size):
    pool = []
    seen = set()
    attempts = 0
    while len(pool) < size and attempts < size * 20:
        attempts += 1
        c = _combo(rng)
        if c and c not in seen:
            seen.add(c)
            pool.append(c)
    return pool


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=["jsonl", "lines"], default="jsonl")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    pool = build_pool(rng, 3000)
    # Simple (short) option strings are the popular ones: rank by jittered length.
    pool.sort(key=lambda c: len(c) * rng.uniform(0.2, 1.8))
    # Zipf-like weights over the pool (s = 1.1).
    cum = list(itertools.accumulate(1.0 / (i + 1) ** 1.1 for i in range(len(pool))))
    headers_pre = [f"{v} {t}" for v in VERBS for t in THINGS]
    bodies = []
    for _ in range(2000):
        k = rng.choice([1, 1, 2, 3, 4])
        paras = []
        for _ in range(rng.choice([1, 1, 2])):
            paras.append(" ".join(rng.sample(SENTENCES, k)))
        bodies.append("\n\n".join(paras))

    n = args.n
    jsonl = args.layout == "jsonl"
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="\n")
    dumps = json.dumps
    rand = rng.random
    choice = rng.choice
    randint = rng.randint
    chunk = []
    BATCH = 20000
    done = 0
    while done < n:
        m = min(BATCH, n - done)
        picks = rng.choices(pool, cum_weights=cum, k=m)
        for combo in picks:
            r = rand()
            head = (f"Bug {randint(1000000, 1999999)} - {choice(headers_pre)} in "
                    f"{choice(COMPONENTS)}; r={choice(REVIEWERS)}")
            if r < 0.65:
                if r < 0.0015:
                    head = f"Bug {randint(1000000, 1999999)} - Fix retry: backoff in {choice(COMPONENTS)}; r={choice(REVIEWERS)}"
                if jsonl:
                    msg = f"{head}\n\n{choice(bodies)}\n\n{DIFF}{randint(10000, 250000)}"
                else:
                    msg = head
            else:
                if r > 0.99:
                    combo = choice(MALFORMED)(rng, combo)
                tl = "try: " + combo
                if jsonl:
                    f = rand()
                    if f < 0.55:
                        msg = tl
                    elif f < 0.85:
                        msg = f"{head}\n\n{tl}"
                    elif f < 0.95:
                        msg = f"{tl}\n\n{choice(bodies)}"
                    else:
                        msg = f"{head}\n\n{choice(bodies)}\n\n{tl}\n"
                else:
                    msg = tl if rand() < 0.7 else f"{head} {tl}"
            chunk.append(dumps({"message": msg}) if jsonl else msg)
        out.write("\n".join(chunk))
        out.write("\n")
        chunk.clear()
        done += m
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
