# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tc_global_optspecs
    string join \n q/quiet h/help V/version
end

function __fish_tc_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tc_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tc_using_subcommand
    set -l cmd (__fish_tc_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tc -n "__fish_tc_needs_command" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_needs_command" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_needs_command" -f -a "try" -d 'Mozilla try syntax: parse a try string or commit message, or count options over pushes'
complete -c tc -n "__fish_tc_needs_command" -f -a "graph" -d 'Render the task graph of an in-tree `taskcluster/` directory, like taskgraph'
complete -c tc -n "__fish_tc_needs_command" -f -a "run-local" -d 'Run a task (or the whole in-tree graph) on this machine with the real worker rules'
complete -c tc -n "__fish_tc_needs_command" -f -a "submit" -d 'Send a task, a list of tasks or a whole graph to a TaskCluster queue'
complete -c tc -n "__fish_tc_needs_command" -f -a "queue" -d 'The embedded TaskCluster queue'
complete -c tc -n "__fish_tc_needs_command" -f -a "worker" -d 'Claim tasks from a queue, run them and report the results'
complete -c tc -n "__fish_tc_needs_command" -f -a "task" -d 'Look at and act on one task of a queue'
complete -c tc -n "__fish_tc_needs_command" -f -a "group" -d 'Look at and act on a task group of a queue'
complete -c tc -n "__fish_tc_needs_command" -f -a "scopes" -d 'TaskCluster scope satisfaction and normalisation'
complete -c tc -n "__fish_tc_needs_command" -f -a "slugid" -d 'Make slugids (TaskCluster\'s 22-character task ids), or convert them to and from UUIDs'
complete -c tc -n "__fish_tc_needs_command" -f -a "from-now" -d 'Print the time a relative duration from now (or from --from) as the queue writes it'
complete -c tc -n "__fish_tc_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c tc -n "__fish_tc_needs_command" -f -a "man" -d 'Print tc\'s man page, or write a page for tc and every subcommand to a directory'
complete -c tc -n "__fish_tc_needs_command" -f -a "doctor" -d 'Check what tc would use on this machine: Docker, caches, the queue'
complete -c tc -n "__fish_tc_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand try; and not __fish_seen_subcommand_from parse stats help" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand try; and not __fish_seen_subcommand_from parse stats help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand try; and not __fish_seen_subcommand_from parse stats help" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand try; and not __fish_seen_subcommand_from parse stats help" -f -a "parse" -d 'Parse try syntax and, given a graph context, resolve what it selects'
complete -c tc -n "__fish_tc_using_subcommand try; and not __fish_seen_subcommand_from parse stats help" -f -a "stats" -d 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)'
complete -c tc -n "__fish_tc_using_subcommand try; and not __fish_seen_subcommand_from parse stats help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -l message -d 'A whole commit message; its first `try:` starts the try line' -r
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -l message-file -d 'Read the commit message from a file (`-` for stdin)' -r -F
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -l context -d 'The graph context to resolve against (JSON if the name ends in .json, else YAML)' -r -F
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from parse" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from stats" -l top -d 'How many values to list per option and for try strings (0 = all)' -r
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from stats" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from stats" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from stats" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from help" -f -a "parse" -d 'Parse try syntax and, given a graph context, resolve what it selects'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from help" -f -a "stats" -d 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)'
complete -c tc -n "__fish_tc_using_subcommand try; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand graph" -l root -d 'The graph root (default ./taskcluster when it holds config.yml, else <git top level>/taskcluster)' -r -F
complete -c tc -n "__fish_tc_using_subcommand graph" -s p -l parameters -d 'Parameters file (YAML or JSON) over the local defaults' -r -F
complete -c tc -n "__fish_tc_using_subcommand graph" -l try -d 'Try syntax selecting the target tasks (target and optimized only)' -r
complete -c tc -n "__fish_tc_using_subcommand graph" -l target-kind -d 'Load only these kinds and the kinds they depend on (repeatable)' -r
complete -c tc -n "__fish_tc_using_subcommand graph" -l tasks -d 'Keep the labels this regular expression matches from their start' -r
complete -c tc -n "__fish_tc_using_subcommand graph" -s o -l output -d 'Write the output to FILE instead of stdout' -r -F
complete -c tc -n "__fish_tc_using_subcommand graph" -l root-url -d 'The TaskCluster deployment that artifact references and run-task script URLs point to (default $TASKCLUSTER_ROOT_URL, as taskgraph)' -r
complete -c tc -n "__fish_tc_using_subcommand graph" -l format -d 'Output format: the labels for people (`human` is the same), `json` or `yaml` as taskgraph writes them, `dot` for Graphviz, or a `table`' -r -f -a "labels\t'The sorted labels, one per line (the human form)'
json\t'The graph as taskgraph\'s JSON (stable)'
yaml\t'The same document as YAML'
dot\t'A Graphviz digraph of the tasks and their dependencies'
table\t'A table of label, kind, worker type and dependency count'"
complete -c tc -n "__fish_tc_using_subcommand graph" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand graph" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand run-local" -s p -l parameters -d 'Parameters file for the graph a label is taken from (as `tc graph -p`)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -l dep -d 'The taskId a label\'s references to dependency NAME resolve to (repeatable)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l task-id -d 'Run the task with this taskId from the queue at --root-url (instead of a TASK file)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l local-task-id -d 'The taskId the run uses (default: a fresh slugid, or the --task-id)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l engine -d 'Which engine runs the task: docker-worker payloads need Docker, generic-worker ones run natively' -r -f -a "auto\t'docker-worker payloads on Docker, generic-worker payloads natively'
docker\t''
native\t''"
complete -c tc -n "__fish_tc_using_subcommand run-local" -l env -d 'Set a variable for the task (repeatable; `K=` sets it empty)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l env-file -d 'Read variables from a dotenv file (repeatable)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -l secret -d 'A secret variable: masked as *** in everything tc prints or saves (best effort: artifact files are not scanned, encoded forms are not recognised). `K` alone reads it from tc\'s environment, else asks for it on a terminal' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l secret-file -d 'Read secret variables from a dotenv file (repeatable)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -l artifacts-dir -d 'Where artifacts go (default ./artifacts/<taskId>/)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -l missing-artifacts -d 'Whether a missing artifact fails the task' -r -f -a "family\t'docker-worker: never; generic-worker: unless the artifact is optional'
fail\t'Any missing artifact fails the task'
ignore\t'Never'"
complete -c tc -n "__fish_tc_using_subcommand run-local" -l max-run-time -d 'Override the payload\'s maxRunTime (0 = no limit)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l retries -d 'Extra runs after an intermittent-task exit (onExitStatus.retry), 0 to 49' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l cache-dir -d 'The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -l max-mount-size -d 'The most one mount may write into the task dir, decompressed (bytes, or with K, M, G or T); a mount that expands past it is malformed-payload' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l root-url -d 'The TaskCluster deployment the task sees as TASKCLUSTER_ROOT_URL' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l image -d 'The image to run instead of the payload\'s: an image tarball (.tar, .tar.gz, .tar.zst, .tar.lz4), task-id=ID[:PATH], index=NS[:PATH], in-tree=NAME, or a registry reference' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l pull -d 'When to pull a registry image' -r -f -a "always\t'Pull, then use'
missing\t'Use the local image if the daemon has it, else pull'
never\t'Never pull: an absent image is an error'"
complete -c tc -n "__fish_tc_using_subcommand run-local" -s v -l volume -d 'Bind-mount HOST:CTR[:ro] into the container (Docker engine; repeatable)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l network -d 'The container\'s network mode: none, host or a network name (default: the daemon\'s)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l root -d 'The graph root (a taskcluster directory) for labels and in-tree images (default ./taskcluster when it holds config.yml, else <git top level>/taskcluster)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -s o -l output -d 'With --script: write the script to FILE (mode 0755) instead of stdout' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -l develop -d 'Use a local checkout where the task\'s run-task would clone REPO (default: the only repository in the task\'s REPOSITORIES): its run-task options go and the checkout is bound (Docker) or linked (native) in their place. The task may change your files' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l checkout -d 'With --develop: the checkout to use (default: the repository root, the parent of the graph root)' -r -F
complete -c tc -n "__fish_tc_using_subcommand run-local" -s j -l jobs -d 'How many of several TASKs (or of the --graph\'s tasks) run at once, 1 to 1000' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l try -d 'With --graph: try syntax choosing the target tasks (as `tc graph --try`)' -r
complete -c tc -n "__fish_tc_using_subcommand run-local" -l format -d 'Output format: `human` for people, `json` for scripts' -r -f -a "human\t'Progress, the log and a summary for people (not a stable interface)'
json\t'The run summary as one JSON document on stdout (stable, documented)'"
complete -c tc -n "__fish_tc_using_subcommand run-local" -l no-caches -d 'Give each cache a fresh, empty, throwaway directory instead of a kept instance'
complete -c tc -n "__fish_tc_using_subcommand run-local" -l keep -d 'Keep the task directory (native) or container (Docker) afterwards'
complete -c tc -n "__fish_tc_using_subcommand run-local" -l allow-capabilities -d 'Accept docker-worker capabilities (privileged, devices, disableSeccomp)'
complete -c tc -n "__fish_tc_using_subcommand run-local" -l dry-run -d 'Validate and print the resolved definition and the plan; run nothing'
complete -c tc -n "__fish_tc_using_subcommand run-local" -s i -l interactive -d 'Open a shell in the task\'s directory and environment instead of running it; `exec-task` runs the task\'s commands. Needs a terminal and one task'
complete -c tc -n "__fish_tc_using_subcommand run-local" -l script -d 'Print an equivalent bash script instead of running (secrets by name only)'
complete -c tc -n "__fish_tc_using_subcommand run-local" -l yes -d 'With --develop: do not ask before letting the task use the checkout'
complete -c tc -n "__fish_tc_using_subcommand run-local" -l graph -d 'Run the whole target graph of the in-tree taskcluster/ directory: an embedded queue, every task submitted to it, a worker with -j slots, dependents after their dependencies; one progress line per task and a table of outcomes'
complete -c tc -n "__fish_tc_using_subcommand run-local" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand run-local" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand run-local" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand submit" -l root -d 'The graph root (with --graph)' -r -F
complete -c tc -n "__fish_tc_using_subcommand submit" -s p -l parameters -d 'Parameters file for the graph (with --graph)' -r -F
complete -c tc -n "__fish_tc_using_subcommand submit" -l try -d 'Try syntax choosing the graph\'s target tasks (with --graph)' -r
complete -c tc -n "__fish_tc_using_subcommand submit" -l task-id -d 'The taskId of a single task (default a new slugid)' -r
complete -c tc -n "__fish_tc_using_subcommand submit" -l task-queue -d 'The task queue of tasks that name none (default local/default)' -r
complete -c tc -n "__fish_tc_using_subcommand submit" -l deadline -d 'Set each task\'s deadline to its created time plus this duration (e.g. "2 hours")' -r
complete -c tc -n "__fish_tc_using_subcommand submit" -l group -d 'The task group (default the first task\'s id)' -r
complete -c tc -n "__fish_tc_using_subcommand submit" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand submit" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand submit" -l graph -d 'Submit the optimized graph of the in-tree taskcluster/ directory'
complete -c tc -n "__fish_tc_using_subcommand submit" -l wait -d 'Wait for every task to resolve; exit by the worst state'
complete -c tc -n "__fish_tc_using_subcommand submit" -l follow -d 'Print the task\'s log as it runs, until it resolves; exit by its state (one task)'
complete -c tc -n "__fish_tc_using_subcommand submit" -l dry-run -d 'Print the final definitions and create nothing'
complete -c tc -n "__fish_tc_using_subcommand submit" -s y -l yes -d 'Do not ask before submitting more than 100 tasks'
complete -c tc -n "__fish_tc_using_subcommand submit" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand submit" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand queue; and not __fish_seen_subcommand_from serve help" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand queue; and not __fish_seen_subcommand_from serve help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand queue; and not __fish_seen_subcommand_from serve help" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand queue; and not __fish_seen_subcommand_from serve help" -f -a "serve" -d 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)'
complete -c tc -n "__fish_tc_using_subcommand queue; and not __fish_seen_subcommand_from serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l listen -d 'Address and port to listen on (a non-loopback address is served with a warning)' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l state-dir -d 'Directory of the database, the blobs and credentials.json (default $XDG_STATE_HOME/tc/queue, else ~/.local/state/tc/queue)' -r -F
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l root-client-id -d 'The root client\'s id (scopes `*`)' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l root-access-token -d 'The root client\'s access token (default: generated once and kept in the database)' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l clients -d 'A YAML file of more clients (`clients: [{clientId, accessToken | accessTokenEnv, scopes, expires?}]`) and `anonymous: [...]` scopes' -r -F
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l public-url -d 'The root URL clients reach the queue at (default http://<listen address>)' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l claim-timeout -d 'Seconds a claim lasts before it must be reclaimed' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l claim-work-timeout -d 'Seconds claimWork waits for work before answering with no tasks' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l max-deadline-days -d 'How many days ahead a task\'s deadline may be' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l max-dependencies -d 'How many dependencies a task may have' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l max-blob-size -d 'The largest blob (s3 artifact) upload accepted, in bytes' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l header-read-timeout -d 'Seconds a client may take to send a request\'s head (a slow one is disconnected)' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l idle-timeout -d 'Seconds a connection may sit idle between requests before it is closed' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l max-connections -d 'How many connections may be open at once; more wait until one closes' -r
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -l print-env -d 'Print the environment that points TaskCluster clients at this queue, and exit'
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from serve" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)'
complete -c tc -n "__fish_tc_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand worker" -l task-queue -d 'A task queue to claim from (repeatable)' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l worker-group -d 'The worker group this worker reports' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l worker-id -d 'The worker id (default: the host name, characters outside [a-zA-Z0-9-_] as -, at most 38)' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l capacity -d 'How many tasks run at once, 1 to 1000' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l wait-timeout -d 'With --once: give up after this many seconds without a task' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l shutdown-grace -d 'Seconds running tasks get to finish after SIGTERM/SIGINT before they are stopped and reported worker-shutdown (a second signal skips them)' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l engine -d 'Which engines run tasks: auto runs docker-worker payloads on Docker and generic-worker payloads natively; a payload for an engine not enabled is malformed-payload' -r -f -a "auto\t'docker-worker payloads on Docker, generic-worker payloads natively'
docker\t''
native\t''"
complete -c tc -n "__fish_tc_using_subcommand worker" -l max-task-run-time -d 'The largest maxRunTime accepted, in seconds (a larger one is malformed-payload)' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l pull -d 'When to pull a registry image' -r -f -a "always\t'Pull, then use'
missing\t'Use the local image if the daemon has it, else pull'
never\t'Never pull: an absent image is an error'"
complete -c tc -n "__fish_tc_using_subcommand worker" -l network -d 'The containers\' network mode: none, host or a network name (default: the daemon\'s)' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l cache-dir -d 'The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc)' -r -F
complete -c tc -n "__fish_tc_using_subcommand worker" -l max-mount-size -d 'The most one mount may write into the task dir, decompressed (bytes, or with K, M, G or T); a mount that expands past it is malformed-payload' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l missing-artifacts -d 'Whether a missing artifact fails the task' -r -f -a "family\t'docker-worker: never; generic-worker: unless the artifact is optional'
fail\t'Any missing artifact fails the task'
ignore\t'Never'"
complete -c tc -n "__fish_tc_using_subcommand worker" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand worker" -l once -d 'Claim one task, run it, and exit by its outcome (0 completed, 1 failed, 3 exception, 4 nothing claimed within --wait-timeout)'
complete -c tc -n "__fish_tc_using_subcommand worker" -l allow-capabilities -d 'Accept docker-worker capabilities (privileged, devices, disableSeccomp)'
complete -c tc -n "__fish_tc_using_subcommand worker" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand worker" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand worker" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "status" -d 'State, runs and deadline of a task'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "def" -d 'A task\'s definition as JSON'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "log" -d 'A task\'s log (public/logs/live.log), optionally followed until it resolves'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "artifacts" -d 'List or download a task\'s artifacts'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "cancel" -d 'Cancel a task'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "rerun" -d 'Run a resolved task again (dependencies are not checked)'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "retrigger" -d 'Create a new task from a task\'s definition, with fresh times'
complete -c tc -n "__fish_tc_using_subcommand task; and not __fish_seen_subcommand_from status def log artifacts cancel rerun retrigger help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from status" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from status" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from status" -l wait -d 'Wait until the task resolves; exit 0 completed, 1 failed, 3 exception'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from def" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from def" -l format -d 'Output format: `json` (also `human`) or `yaml`' -r -f -a "json\t'Indented JSON'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from def" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from def" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from def" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from log" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from log" -l run -d 'The run (default the latest)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from log" -l follow -d 'Keep printing new output until the task resolves'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from log" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from log" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -l run -d 'The run (default the latest)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -l get -d 'Download this artifact' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -s o -l output -d 'Where to write (a file for --get, or - for stdout; a directory for --all)' -r -F
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -l all -d 'Download every artifact'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from artifacts" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -s y -l yes -d 'Do not ask for confirmation'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -l dry-run -d 'Print the call that would be made, and make none'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from cancel" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -s y -l yes -d 'Do not ask for confirmation'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -l dry-run -d 'Print the call that would be made, and make none'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from rerun" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -s y -l yes -d 'Do not ask for confirmation'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l dry-run -d 'Print the call that would be made, and make none'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l no-deps -d 'Drop the dependencies'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l keep-routes -d 'Keep the routes (dropped by default, so indexes and notifications do not fire twice)'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l exact -d 'Keep everything but the times: dependencies and routes'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -l new-group -d 'Put the new task in a new group (its own id)'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from retrigger" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "status" -d 'State, runs and deadline of a task'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "def" -d 'A task\'s definition as JSON'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "log" -d 'A task\'s log (public/logs/live.log), optionally followed until it resolves'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "artifacts" -d 'List or download a task\'s artifacts'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel a task'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "rerun" -d 'Run a resolved task again (dependencies are not checked)'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "retrigger" -d 'Create a new task from a task\'s definition, with fresh times'
complete -c tc -n "__fish_tc_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -f -a "status" -d 'Counts per state, the failed tasks and the blocked-task hint of a group'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -f -a "list" -d 'The tasks of a group'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -f -a "cancel" -d 'Cancel a group\'s unresolved tasks (all of them, or those the filters keep)'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -f -a "seal" -d 'Seal a group so that no task can join it (irreversible)'
complete -c tc -n "__fish_tc_using_subcommand group; and not __fish_seen_subcommand_from status list cancel seal help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from status" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from status" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from status" -l wait -d 'Wait until nothing is pending or running and no unscheduled task can still run'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -l state -d 'Only tasks in these states (comma-separated: unscheduled, pending, running, completed, failed, exception)' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -l task-queue -d 'Only tasks of this task queue' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -l state -d 'Only tasks in these states (comma-separated: unscheduled, pending, running, completed, failed, exception)' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -l task-queue -d 'Only tasks of this task queue' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -l seal -d 'Seal the group first, then cancel it as a whole'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -s y -l yes -d 'Do not ask for confirmation'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -l dry-run -d 'Print the calls that would be made, and make none'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from cancel" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -l root-url -d 'The queue\'s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)' -r
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -s y -l yes -d 'Do not ask for confirmation'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -l dry-run -d 'Print the call that would be made, and make none'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from seal" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "status" -d 'Counts per state, the failed tasks and the blocked-task hint of a group'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "list" -d 'The tasks of a group'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel a group\'s unresolved tasks (all of them, or those the filters keep)'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "seal" -d 'Seal a group so that no task can join it (irreversible)'
complete -c tc -n "__fish_tc_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand scopes; and not __fish_seen_subcommand_from satisfies normalize help" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand scopes; and not __fish_seen_subcommand_from satisfies normalize help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand scopes; and not __fish_seen_subcommand_from satisfies normalize help" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand scopes; and not __fish_seen_subcommand_from satisfies normalize help" -f -a "satisfies" -d 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)'
complete -c tc -n "__fish_tc_using_subcommand scopes; and not __fish_seen_subcommand_from satisfies normalize help" -f -a "normalize" -d 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped'
complete -c tc -n "__fish_tc_using_subcommand scopes; and not __fish_seen_subcommand_from satisfies normalize help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from satisfies" -l have -d 'A scope the caller has (repeatable). No `assume:` roles are expanded' -r
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from satisfies" -l have-json -d 'More scopes the caller has, as a JSON list of strings' -r
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from satisfies" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from satisfies" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from satisfies" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from satisfies" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from normalize" -l have-json -d 'More scopes, as a JSON list of strings' -r
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from normalize" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from normalize" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from normalize" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from normalize" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from help" -f -a "satisfies" -d 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from help" -f -a "normalize" -d 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped'
complete -c tc -n "__fish_tc_using_subcommand scopes; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -s n -l count -d 'How many slugids to print' -r
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -l v4 -d 'Draw from all v4 slugids, which may start with `-`, instead of nice ones (`[A-Za-f]` first)'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -f -a "decode" -d 'Print the UUID a slugid encodes'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -f -a "encode" -d 'Print the slugid of a v4 UUID'
complete -c tc -n "__fish_tc_using_subcommand slugid; and not __fish_seen_subcommand_from decode encode help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from decode" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from decode" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from decode" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from encode" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from encode" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from encode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from encode" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from help" -f -a "decode" -d 'Print the UUID a slugid encodes'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from help" -f -a "encode" -d 'Print the slugid of a v4 UUID'
complete -c tc -n "__fish_tc_using_subcommand slugid; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand from-now" -l from -d 'Start from this RFC 3339 time instead of now' -r
complete -c tc -n "__fish_tc_using_subcommand from-now" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand from-now" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand from-now" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand from-now" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand completions" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tc -n "__fish_tc_using_subcommand completions" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand man" -l out-dir -d 'Write `tc.1` and a page per subcommand (`tc-try-parse.1`, ...) into this directory instead of printing `tc.1`' -r -F
complete -c tc -n "__fish_tc_using_subcommand man" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand man" -s h -l help -d 'Print help'
complete -c tc -n "__fish_tc_using_subcommand man" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand doctor" -l cache-dir -d 'The cache root to check (default $TC_CACHE_DIR, else your user cache directory + /tc)' -r -F
complete -c tc -n "__fish_tc_using_subcommand doctor" -l root-url -d 'The queue to check' -r
complete -c tc -n "__fish_tc_using_subcommand doctor" -l format -d 'Output format: `human` for people, `json` or `yaml` for scripts' -r -f -a "human\t'Tables and text for people (not a stable interface)'
json\t'One JSON document on stdout (stable, documented)'
yaml\t'The same document as YAML'"
complete -c tc -n "__fish_tc_using_subcommand doctor" -s q -l quiet -d 'Print only the requested data: no progress bars or hints on stderr'
complete -c tc -n "__fish_tc_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tc -n "__fish_tc_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "try" -d 'Mozilla try syntax: parse a try string or commit message, or count options over pushes'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "graph" -d 'Render the task graph of an in-tree `taskcluster/` directory, like taskgraph'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "run-local" -d 'Run a task (or the whole in-tree graph) on this machine with the real worker rules'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "submit" -d 'Send a task, a list of tasks or a whole graph to a TaskCluster queue'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "queue" -d 'The embedded TaskCluster queue'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "worker" -d 'Claim tasks from a queue, run them and report the results'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "task" -d 'Look at and act on one task of a queue'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "group" -d 'Look at and act on a task group of a queue'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "scopes" -d 'TaskCluster scope satisfaction and normalisation'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "slugid" -d 'Make slugids (TaskCluster\'s 22-character task ids), or convert them to and from UUIDs'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "from-now" -d 'Print the time a relative duration from now (or from --from) as the queue writes it'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "completions" -d 'Print a shell completion script'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "man" -d 'Print tc\'s man page, or write a page for tc and every subcommand to a directory'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "doctor" -d 'Check what tc would use on this machine: Docker, caches, the queue'
complete -c tc -n "__fish_tc_using_subcommand help; and not __fish_seen_subcommand_from try graph run-local submit queue worker task group scopes slugid from-now completions man doctor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from try" -f -a "parse" -d 'Parse try syntax and, given a graph context, resolve what it selects'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from try" -f -a "stats" -d 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "serve" -d 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "status" -d 'State, runs and deadline of a task'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "def" -d 'A task\'s definition as JSON'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "log" -d 'A task\'s log (public/logs/live.log), optionally followed until it resolves'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "artifacts" -d 'List or download a task\'s artifacts'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "cancel" -d 'Cancel a task'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "rerun" -d 'Run a resolved task again (dependencies are not checked)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from task" -f -a "retrigger" -d 'Create a new task from a task\'s definition, with fresh times'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "status" -d 'Counts per state, the failed tasks and the blocked-task hint of a group'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "list" -d 'The tasks of a group'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "cancel" -d 'Cancel a group\'s unresolved tasks (all of them, or those the filters keep)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "seal" -d 'Seal a group so that no task can join it (irreversible)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from scopes" -f -a "satisfies" -d 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from scopes" -f -a "normalize" -d 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from slugid" -f -a "decode" -d 'Print the UUID a slugid encodes'
complete -c tc -n "__fish_tc_using_subcommand help; and __fish_seen_subcommand_from slugid" -f -a "encode" -d 'Print the slugid of a v4 UUID'
