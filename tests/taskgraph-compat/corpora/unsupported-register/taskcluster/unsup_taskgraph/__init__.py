"""taskgraph.register: project code taskgraph calls at start-up; tc cannot (taskgraph.md §5)."""


def register(graph_config):
    pass
