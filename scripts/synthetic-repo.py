#!/usr/bin/env python3
"""Writes a synthetic in-tree task graph of N tasks for benchmarks and the conformance harness:
OUTDIR/taskcluster/config.yml and three kinds that use only taskgraph's stock task transforms.

  build  N/5 tasks    run-on-projects keyed by build-platform, treeherder symbols
  test   7N/10 tasks  kind-dependencies [build]; each test depends on one build
  lint   the rest     skip-unless-changed optimizations

Usage: scripts/synthetic-repo.py OUTDIR N   (then git init, commit, and add an origin remote on
GitHub, as scripts/bench-graph.sh does).
"""
import os
import sys

PLATFORMS = ["linux64", "win64", "macosx64", "android-arm"]

CONFIG = """\
---
trust-domain: synth
task-priority: low
taskgraph:
  repositories:
    synth:
      name: synth
workers:
  aliases:
    b-linux:
      provisioner: 'synth-{level}'
      implementation: docker-worker
      os: linux
      worker-type: '{alias}'
    t-linux:
      provisioner: 'synth-t'
      implementation: docker-worker
      os: linux
      worker-type: '{alias}'
"""


def kind_header(worker_type, max_run_time, extra_defaults="", kind_dependencies=None):
    """The part of a kind.yml before its tasks."""
    deps = f"kind-dependencies: [{', '.join(kind_dependencies)}]\n" if kind_dependencies else ""
    return (
        "---\n"
        "loader: taskgraph.loader.transform:loader\n"
        f"{deps}"
        "transforms:\n"
        "  - taskgraph.transforms.task:transforms\n"
        "task-defaults:\n"
        f"  worker-type: {worker_type}\n"
        "  worker:\n"
        "    docker-image: ubuntu:22.04\n"
        f"    max-run-time: {max_run_time}\n"
        "    command: [/bin/true]\n"
        f"{extra_defaults}"
        "tasks:\n"
    )


def builds(count):
    on_projects = (
        "  run-on-projects:\n"
        "    by-build-platform:\n"
        "      android.*: [mozilla-central]\n"
        "      default: [all]\n"
    )
    text = [kind_header("b-linux", 3600, on_projects)]
    for i in range(count):
        platform = PLATFORMS[i % len(PLATFORMS)]
        text.append(
            f"  b{i:05d}:\n"
            f"    description: build {i} for {platform}\n"
            f"    label: build-b{i:05d}\n"
            f"    attributes: {{build_platform: {platform}, build_type: opt}}\n"
            f"    treeherder: {{symbol: B{i}, platform: {platform}/opt, kind: build, tier: 1}}\n"
        )
    return "".join(text)


def tests(count, build_count):
    text = [kind_header("t-linux", 1800, kind_dependencies=["build"])]
    for i in range(count):
        text.append(
            f"  t{i:05d}:\n"
            f"    description: test {i}\n"
            f"    label: test-t{i:05d}\n"
            f"    dependencies: {{build: build-b{i % build_count:05d}}}\n"
            f"    attributes: {{unittest_try_name: suite{i % 40}, test_chunk: '{i % 8 + 1}'}}\n"
        )
    return "".join(text)


def lints(count):
    text = [kind_header("t-linux", 600)]
    for i in range(count):
        text.append(
            f"  l{i:05d}:\n"
            f"    description: lint {i}\n"
            f"    label: lint-l{i:05d}\n"
            f"    optimization: {{skip-unless-changed: ['src/mod{i % 10}/**']}}\n"
        )
    return "".join(text)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) < 2:
        sys.exit("usage: synthetic-repo.py OUTDIR N   (N >= 2 tasks)")
    out, n = sys.argv[1], int(sys.argv[2])
    build_count = max(1, n // 5)
    test_count = max(1, n * 7 // 10)
    lint_count = max(0, n - build_count - test_count)
    root = os.path.join(out, "taskcluster")
    write(os.path.join(root, "config.yml"), CONFIG)
    write(os.path.join(root, "kinds", "build", "kind.yml"), builds(build_count))
    write(os.path.join(root, "kinds", "test", "kind.yml"), tests(test_count, build_count))
    write(os.path.join(root, "kinds", "lint", "kind.yml"), lints(lint_count))
    total = build_count + test_count + lint_count
    print(f"{build_count} build + {test_count} test + {lint_count} lint = {total} tasks in {root}")


if __name__ == "__main__":
    main()
