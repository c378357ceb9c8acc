
use builtin;
use str;

set edit:completion:arg-completer[tc] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tc'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tc'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand try 'Mozilla try syntax: parse a try string or commit message, or count options over pushes'
            cand graph 'Render the task graph of an in-tree `taskcluster/` directory, like taskgraph'
            cand run-local 'Run a task (or the whole in-tree graph) on this machine with the real worker rules'
            cand submit 'Send a task, a list of tasks or a whole graph to a TaskCluster queue'
            cand queue 'The embedded TaskCluster queue'
            cand worker 'Claim tasks from a queue, run them and report the results'
            cand task 'Look at and act on one task of a queue'
            cand group 'Look at and act on a task group of a queue'
            cand scopes 'TaskCluster scope satisfaction and normalisation'
            cand slugid 'Make slugids (TaskCluster''s 22-character task ids), or convert them to and from UUIDs'
            cand from-now 'Print the time a relative duration from now (or from --from) as the queue writes it'
            cand completions 'Print a shell completion script'
            cand man 'Print tc''s man page, or write a page for tc and every subcommand to a directory'
            cand doctor 'Check what tc would use on this machine: Docker, caches, the queue'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;try'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand parse 'Parse try syntax and, given a graph context, resolve what it selects'
            cand stats 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;try;parse'= {
            cand --message 'A whole commit message; its first `try:` starts the try line'
            cand --message-file 'Read the commit message from a file (`-` for stdin)'
            cand --context 'The graph context to resolve against (JSON if the name ends in .json, else YAML)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;try;stats'= {
            cand --top 'How many values to list per option and for try strings (0 = all)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;try;help'= {
            cand parse 'Parse try syntax and, given a graph context, resolve what it selects'
            cand stats 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;try;help;parse'= {
        }
        &'tc;try;help;stats'= {
        }
        &'tc;try;help;help'= {
        }
        &'tc;graph'= {
            cand --root 'The graph root (default ./taskcluster when it holds config.yml, else <git top level>/taskcluster)'
            cand -p 'Parameters file (YAML or JSON) over the local defaults'
            cand --parameters 'Parameters file (YAML or JSON) over the local defaults'
            cand --try 'Try syntax selecting the target tasks (target and optimized only)'
            cand --target-kind 'Load only these kinds and the kinds they depend on (repeatable)'
            cand --tasks 'Keep the labels this regular expression matches from their start'
            cand -o 'Write the output to FILE instead of stdout'
            cand --output 'Write the output to FILE instead of stdout'
            cand --root-url 'The TaskCluster deployment that artifact references and run-task script URLs point to (default $TASKCLUSTER_ROOT_URL, as taskgraph)'
            cand --format 'Output format: the labels for people (`human` is the same), `json` or `yaml` as taskgraph writes them, `dot` for Graphviz, or a `table`'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;run-local'= {
            cand -p 'Parameters file for the graph a label is taken from (as `tc graph -p`)'
            cand --parameters 'Parameters file for the graph a label is taken from (as `tc graph -p`)'
            cand --dep 'The taskId a label''s references to dependency NAME resolve to (repeatable)'
            cand --task-id 'Run the task with this taskId from the queue at --root-url (instead of a TASK file)'
            cand --local-task-id 'The taskId the run uses (default: a fresh slugid, or the --task-id)'
            cand --engine 'Which engine runs the task: docker-worker payloads need Docker, generic-worker ones run natively'
            cand --env 'Set a variable for the task (repeatable; `K=` sets it empty)'
            cand --env-file 'Read variables from a dotenv file (repeatable)'
            cand --secret 'A secret variable: masked as *** in everything tc prints or saves (best effort: artifact files are not scanned, encoded forms are not recognised). `K` alone reads it from tc''s environment, else asks for it on a terminal'
            cand --secret-file 'Read secret variables from a dotenv file (repeatable)'
            cand --artifacts-dir 'Where artifacts go (default ./artifacts/<taskId>/)'
            cand --missing-artifacts 'Whether a missing artifact fails the task'
            cand --max-run-time 'Override the payload''s maxRunTime (0 = no limit)'
            cand --retries 'Extra runs after an intermittent-task exit (onExitStatus.retry), 0 to 49'
            cand --cache-dir 'The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc)'
            cand --max-mount-size 'The most one mount may write into the task dir, decompressed (bytes, or with K, M, G or T); a mount that expands past it is malformed-payload'
            cand --root-url 'The TaskCluster deployment the task sees as TASKCLUSTER_ROOT_URL'
            cand --image 'The image to run instead of the payload''s: an image tarball (.tar, .tar.gz, .tar.zst, .tar.lz4), task-id=ID[:PATH], index=NS[:PATH], in-tree=NAME, or a registry reference'
            cand --pull 'When to pull a registry image'
            cand -v 'Bind-mount HOST:CTR[:ro] into the container (Docker engine; repeatable)'
            cand --volume 'Bind-mount HOST:CTR[:ro] into the container (Docker engine; repeatable)'
            cand --network 'The container''s network mode: none, host or a network name (default: the daemon''s)'
            cand --root 'The graph root (a taskcluster directory) for labels and in-tree images (default ./taskcluster when it holds config.yml, else <git top level>/taskcluster)'
            cand -o 'With --script: write the script to FILE (mode 0755) instead of stdout'
            cand --output 'With --script: write the script to FILE (mode 0755) instead of stdout'
            cand --develop 'Use a local checkout where the task''s run-task would clone REPO (default: the only repository in the task''s REPOSITORIES): its run-task options go and the checkout is bound (Docker) or linked (native) in their place. The task may change your files'
            cand --checkout 'With --develop: the checkout to use (default: the repository root, the parent of the graph root)'
            cand -j 'How many of several TASKs (or of the --graph''s tasks) run at once, 1 to 1000'
            cand --jobs 'How many of several TASKs (or of the --graph''s tasks) run at once, 1 to 1000'
            cand --try 'With --graph: try syntax choosing the target tasks (as `tc graph --try`)'
            cand --format 'Output format: `human` for people, `json` for scripts'
            cand --no-caches 'Give each cache a fresh, empty, throwaway directory instead of a kept instance'
            cand --keep 'Keep the task directory (native) or container (Docker) afterwards'
            cand --allow-capabilities 'Accept docker-worker capabilities (privileged, devices, disableSeccomp)'
            cand --dry-run 'Validate and print the resolved definition and the plan; run nothing'
            cand -i 'Open a shell in the task''s directory and environment instead of running it; `exec-task` runs the task''s commands. Needs a terminal and one task'
            cand --interactive 'Open a shell in the task''s directory and environment instead of running it; `exec-task` runs the task''s commands. Needs a terminal and one task'
            cand --script 'Print an equivalent bash script instead of running (secrets by name only)'
            cand --yes 'With --develop: do not ask before letting the task use the checkout'
            cand --graph 'Run the whole target graph of the in-tree taskcluster/ directory: an embedded queue, every task submitted to it, a worker with -j slots, dependents after their dependencies; one progress line per task and a table of outcomes'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;submit'= {
            cand --root 'The graph root (with --graph)'
            cand -p 'Parameters file for the graph (with --graph)'
            cand --parameters 'Parameters file for the graph (with --graph)'
            cand --try 'Try syntax choosing the graph''s target tasks (with --graph)'
            cand --task-id 'The taskId of a single task (default a new slugid)'
            cand --task-queue 'The task queue of tasks that name none (default local/default)'
            cand --deadline 'Set each task''s deadline to its created time plus this duration (e.g. "2 hours")'
            cand --group 'The task group (default the first task''s id)'
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand --graph 'Submit the optimized graph of the in-tree taskcluster/ directory'
            cand --wait 'Wait for every task to resolve; exit by the worst state'
            cand --follow 'Print the task''s log as it runs, until it resolves; exit by its state (one task)'
            cand --dry-run 'Print the final definitions and create nothing'
            cand -y 'Do not ask before submitting more than 100 tasks'
            cand --yes 'Do not ask before submitting more than 100 tasks'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;queue'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;queue;serve'= {
            cand --listen 'Address and port to listen on (a non-loopback address is served with a warning)'
            cand --state-dir 'Directory of the database, the blobs and credentials.json (default $XDG_STATE_HOME/tc/queue, else ~/.local/state/tc/queue)'
            cand --root-client-id 'The root client''s id (scopes `*`)'
            cand --root-access-token 'The root client''s access token (default: generated once and kept in the database)'
            cand --clients 'A YAML file of more clients (`clients: [{clientId, accessToken | accessTokenEnv, scopes, expires?}]`) and `anonymous: [...]` scopes'
            cand --public-url 'The root URL clients reach the queue at (default http://<listen address>)'
            cand --claim-timeout 'Seconds a claim lasts before it must be reclaimed'
            cand --claim-work-timeout 'Seconds claimWork waits for work before answering with no tasks'
            cand --max-deadline-days 'How many days ahead a task''s deadline may be'
            cand --max-dependencies 'How many dependencies a task may have'
            cand --max-blob-size 'The largest blob (s3 artifact) upload accepted, in bytes'
            cand --header-read-timeout 'Seconds a client may take to send a request''s head (a slow one is disconnected)'
            cand --idle-timeout 'Seconds a connection may sit idle between requests before it is closed'
            cand --max-connections 'How many connections may be open at once; more wait until one closes'
            cand --print-env 'Print the environment that points TaskCluster clients at this queue, and exit'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;queue;help'= {
            cand serve 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;queue;help;serve'= {
        }
        &'tc;queue;help;help'= {
        }
        &'tc;worker'= {
            cand --task-queue 'A task queue to claim from (repeatable)'
            cand --worker-group 'The worker group this worker reports'
            cand --worker-id 'The worker id (default: the host name, characters outside [a-zA-Z0-9-_] as -, at most 38)'
            cand --capacity 'How many tasks run at once, 1 to 1000'
            cand --wait-timeout 'With --once: give up after this many seconds without a task'
            cand --shutdown-grace 'Seconds running tasks get to finish after SIGTERM/SIGINT before they are stopped and reported worker-shutdown (a second signal skips them)'
            cand --engine 'Which engines run tasks: auto runs docker-worker payloads on Docker and generic-worker payloads natively; a payload for an engine not enabled is malformed-payload'
            cand --max-task-run-time 'The largest maxRunTime accepted, in seconds (a larger one is malformed-payload)'
            cand --pull 'When to pull a registry image'
            cand --network 'The containers'' network mode: none, host or a network name (default: the daemon''s)'
            cand --cache-dir 'The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc)'
            cand --max-mount-size 'The most one mount may write into the task dir, decompressed (bytes, or with K, M, G or T); a mount that expands past it is malformed-payload'
            cand --missing-artifacts 'Whether a missing artifact fails the task'
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --once 'Claim one task, run it, and exit by its outcome (0 completed, 1 failed, 3 exception, 4 nothing claimed within --wait-timeout)'
            cand --allow-capabilities 'Accept docker-worker capabilities (privileged, devices, disableSeccomp)'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'State, runs and deadline of a task'
            cand def 'A task''s definition as JSON'
            cand log 'A task''s log (public/logs/live.log), optionally followed until it resolves'
            cand artifacts 'List or download a task''s artifacts'
            cand cancel 'Cancel a task'
            cand rerun 'Run a resolved task again (dependencies are not checked)'
            cand retrigger 'Create a new task from a task''s definition, with fresh times'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;task;status'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand --wait 'Wait until the task resolves; exit 0 completed, 1 failed, 3 exception'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;def'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `json` (also `human`) or `yaml`'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;log'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --run 'The run (default the latest)'
            cand --follow 'Keep printing new output until the task resolves'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;artifacts'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --run 'The run (default the latest)'
            cand --get 'Download this artifact'
            cand -o 'Where to write (a file for --get, or - for stdout; a directory for --all)'
            cand --output 'Where to write (a file for --get, or - for stdout; a directory for --all)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand --all 'Download every artifact'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;cancel'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --dry-run 'Print the call that would be made, and make none'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;rerun'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --dry-run 'Print the call that would be made, and make none'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;retrigger'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --dry-run 'Print the call that would be made, and make none'
            cand --no-deps 'Drop the dependencies'
            cand --keep-routes 'Keep the routes (dropped by default, so indexes and notifications do not fire twice)'
            cand --exact 'Keep everything but the times: dependencies and routes'
            cand --new-group 'Put the new task in a new group (its own id)'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;task;help'= {
            cand status 'State, runs and deadline of a task'
            cand def 'A task''s definition as JSON'
            cand log 'A task''s log (public/logs/live.log), optionally followed until it resolves'
            cand artifacts 'List or download a task''s artifacts'
            cand cancel 'Cancel a task'
            cand rerun 'Run a resolved task again (dependencies are not checked)'
            cand retrigger 'Create a new task from a task''s definition, with fresh times'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;task;help;status'= {
        }
        &'tc;task;help;def'= {
        }
        &'tc;task;help;log'= {
        }
        &'tc;task;help;artifacts'= {
        }
        &'tc;task;help;cancel'= {
        }
        &'tc;task;help;rerun'= {
        }
        &'tc;task;help;retrigger'= {
        }
        &'tc;task;help;help'= {
        }
        &'tc;group'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Counts per state, the failed tasks and the blocked-task hint of a group'
            cand list 'The tasks of a group'
            cand cancel 'Cancel a group''s unresolved tasks (all of them, or those the filters keep)'
            cand seal 'Seal a group so that no task can join it (irreversible)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;group;status'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand --wait 'Wait until nothing is pending or running and no unscheduled task can still run'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;group;list'= {
            cand --state 'Only tasks in these states (comma-separated: unscheduled, pending, running, completed, failed, exception)'
            cand --task-queue 'Only tasks of this task queue'
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;group;cancel'= {
            cand --state 'Only tasks in these states (comma-separated: unscheduled, pending, running, completed, failed, exception)'
            cand --task-queue 'Only tasks of this task queue'
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand --seal 'Seal the group first, then cancel it as a whole'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --dry-run 'Print the calls that would be made, and make none'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;group;seal'= {
            cand --root-url 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --dry-run 'Print the call that would be made, and make none'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;group;help'= {
            cand status 'Counts per state, the failed tasks and the blocked-task hint of a group'
            cand list 'The tasks of a group'
            cand cancel 'Cancel a group''s unresolved tasks (all of them, or those the filters keep)'
            cand seal 'Seal a group so that no task can join it (irreversible)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;group;help;status'= {
        }
        &'tc;group;help;list'= {
        }
        &'tc;group;help;cancel'= {
        }
        &'tc;group;help;seal'= {
        }
        &'tc;group;help;help'= {
        }
        &'tc;scopes'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand satisfies 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)'
            cand normalize 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;scopes;satisfies'= {
            cand --have 'A scope the caller has (repeatable). No `assume:` roles are expanded'
            cand --have-json 'More scopes the caller has, as a JSON list of strings'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;scopes;normalize'= {
            cand --have-json 'More scopes, as a JSON list of strings'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;scopes;help'= {
            cand satisfies 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)'
            cand normalize 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;scopes;help;satisfies'= {
        }
        &'tc;scopes;help;normalize'= {
        }
        &'tc;scopes;help;help'= {
        }
        &'tc;slugid'= {
            cand -n 'How many slugids to print'
            cand --count 'How many slugids to print'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand --v4 'Draw from all v4 slugids, which may start with `-`, instead of nice ones (`[A-Za-f]` first)'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand decode 'Print the UUID a slugid encodes'
            cand encode 'Print the slugid of a v4 UUID'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;slugid;decode'= {
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;slugid;encode'= {
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;slugid;help'= {
            cand decode 'Print the UUID a slugid encodes'
            cand encode 'Print the slugid of a v4 UUID'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;slugid;help;decode'= {
        }
        &'tc;slugid;help;encode'= {
        }
        &'tc;slugid;help;help'= {
        }
        &'tc;from-now'= {
            cand --from 'Start from this RFC 3339 time instead of now'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;completions'= {
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;man'= {
            cand --out-dir 'Write `tc.1` and a page per subcommand (`tc-try-parse.1`, ...) into this directory instead of printing `tc.1`'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;doctor'= {
            cand --cache-dir 'The cache root to check (default $TC_CACHE_DIR, else your user cache directory + /tc)'
            cand --root-url 'The queue to check'
            cand --format 'Output format: `human` for people, `json` or `yaml` for scripts'
            cand -q 'Print only the requested data: no progress bars or hints on stderr'
            cand --quiet 'Print only the requested data: no progress bars or hints on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tc;help'= {
            cand try 'Mozilla try syntax: parse a try string or commit message, or count options over pushes'
            cand graph 'Render the task graph of an in-tree `taskcluster/` directory, like taskgraph'
            cand run-local 'Run a task (or the whole in-tree graph) on this machine with the real worker rules'
            cand submit 'Send a task, a list of tasks or a whole graph to a TaskCluster queue'
            cand queue 'The embedded TaskCluster queue'
            cand worker 'Claim tasks from a queue, run them and report the results'
            cand task 'Look at and act on one task of a queue'
            cand group 'Look at and act on a task group of a queue'
            cand scopes 'TaskCluster scope satisfaction and normalisation'
            cand slugid 'Make slugids (TaskCluster''s 22-character task ids), or convert them to and from UUIDs'
            cand from-now 'Print the time a relative duration from now (or from --from) as the queue writes it'
            cand completions 'Print a shell completion script'
            cand man 'Print tc''s man page, or write a page for tc and every subcommand to a directory'
            cand doctor 'Check what tc would use on this machine: Docker, caches, the queue'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tc;help;try'= {
            cand parse 'Parse try syntax and, given a graph context, resolve what it selects'
            cand stats 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)'
        }
        &'tc;help;try;parse'= {
        }
        &'tc;help;try;stats'= {
        }
        &'tc;help;graph'= {
        }
        &'tc;help;run-local'= {
        }
        &'tc;help;submit'= {
        }
        &'tc;help;queue'= {
            cand serve 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)'
        }
        &'tc;help;queue;serve'= {
        }
        &'tc;help;worker'= {
        }
        &'tc;help;task'= {
            cand status 'State, runs and deadline of a task'
            cand def 'A task''s definition as JSON'
            cand log 'A task''s log (public/logs/live.log), optionally followed until it resolves'
            cand artifacts 'List or download a task''s artifacts'
            cand cancel 'Cancel a task'
            cand rerun 'Run a resolved task again (dependencies are not checked)'
            cand retrigger 'Create a new task from a task''s definition, with fresh times'
        }
        &'tc;help;task;status'= {
        }
        &'tc;help;task;def'= {
        }
        &'tc;help;task;log'= {
        }
        &'tc;help;task;artifacts'= {
        }
        &'tc;help;task;cancel'= {
        }
        &'tc;help;task;rerun'= {
        }
        &'tc;help;task;retrigger'= {
        }
        &'tc;help;group'= {
            cand status 'Counts per state, the failed tasks and the blocked-task hint of a group'
            cand list 'The tasks of a group'
            cand cancel 'Cancel a group''s unresolved tasks (all of them, or those the filters keep)'
            cand seal 'Seal a group so that no task can join it (irreversible)'
        }
        &'tc;help;group;status'= {
        }
        &'tc;help;group;list'= {
        }
        &'tc;help;group;cancel'= {
        }
        &'tc;help;group;seal'= {
        }
        &'tc;help;scopes'= {
            cand satisfies 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)'
            cand normalize 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped'
        }
        &'tc;help;scopes;satisfies'= {
        }
        &'tc;help;scopes;normalize'= {
        }
        &'tc;help;slugid'= {
            cand decode 'Print the UUID a slugid encodes'
            cand encode 'Print the slugid of a v4 UUID'
        }
        &'tc;help;slugid;decode'= {
        }
        &'tc;help;slugid;encode'= {
        }
        &'tc;help;from-now'= {
        }
        &'tc;help;completions'= {
        }
        &'tc;help;man'= {
        }
        &'tc;help;doctor'= {
        }
        &'tc;help;help'= {
        }
    ]
    $completions[$command]
}
