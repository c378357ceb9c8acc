"""A project transform: taskgraph runs it, tc refuses the kind (taskgraph.md §5)."""

from taskgraph.transforms.base import TransformSequence

transforms = TransformSequence()


@transforms.add
def tweak(config, tasks):
    for task in tasks:
        task.setdefault("attributes", {})["tweaked"] = True
        yield task
