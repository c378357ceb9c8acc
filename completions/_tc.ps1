
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tc' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tc'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tc' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('try', 'try', [CompletionResultType]::ParameterValue, 'Mozilla try syntax: parse a try string or commit message, or count options over pushes')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Render the task graph of an in-tree `taskcluster/` directory, like taskgraph')
            [CompletionResult]::new('run-local', 'run-local', [CompletionResultType]::ParameterValue, 'Run a task (or the whole in-tree graph) on this machine with the real worker rules')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Send a task, a list of tasks or a whole graph to a TaskCluster queue')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'The embedded TaskCluster queue')
            [CompletionResult]::new('worker', 'worker', [CompletionResultType]::ParameterValue, 'Claim tasks from a queue, run them and report the results')
            [CompletionResult]::new('task', 'task', [CompletionResultType]::ParameterValue, 'Look at and act on one task of a queue')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'Look at and act on a task group of a queue')
            [CompletionResult]::new('scopes', 'scopes', [CompletionResultType]::ParameterValue, 'TaskCluster scope satisfaction and normalisation')
            [CompletionResult]::new('slugid', 'slugid', [CompletionResultType]::ParameterValue, 'Make slugids (TaskCluster''s 22-character task ids), or convert them to and from UUIDs')
            [CompletionResult]::new('from-now', 'from-now', [CompletionResultType]::ParameterValue, 'Print the time a relative duration from now (or from --from) as the queue writes it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print tc''s man page, or write a page for tc and every subcommand to a directory')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check what tc would use on this machine: Docker, caches, the queue')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;try' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse try syntax and, given a graph context, resolve what it selects')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;try;parse' {
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'A whole commit message; its first `try:` starts the try line')
            [CompletionResult]::new('--message-file', '--message-file', [CompletionResultType]::ParameterName, 'Read the commit message from a file (`-` for stdin)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The graph context to resolve against (JSON if the name ends in .json, else YAML)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;try;stats' {
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'How many values to list per option and for try strings (0 = all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;try;help' {
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse try syntax and, given a graph context, resolve what it selects')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;try;help;parse' {
            break
        }
        'tc;try;help;stats' {
            break
        }
        'tc;try;help;help' {
            break
        }
        'tc;graph' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The graph root (default ./taskcluster when it holds config.yml, else <git top level>/taskcluster)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Parameters file (YAML or JSON) over the local defaults')
            [CompletionResult]::new('--parameters', '--parameters', [CompletionResultType]::ParameterName, 'Parameters file (YAML or JSON) over the local defaults')
            [CompletionResult]::new('--try', '--try', [CompletionResultType]::ParameterName, 'Try syntax selecting the target tasks (target and optimized only)')
            [CompletionResult]::new('--target-kind', '--target-kind', [CompletionResultType]::ParameterName, 'Load only these kinds and the kinds they depend on (repeatable)')
            [CompletionResult]::new('--tasks', '--tasks', [CompletionResultType]::ParameterName, 'Keep the labels this regular expression matches from their start')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the output to FILE instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the output to FILE instead of stdout')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The TaskCluster deployment that artifact references and run-task script URLs point to (default $TASKCLUSTER_ROOT_URL, as taskgraph)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: the labels for people (`human` is the same), `json` or `yaml` as taskgraph writes them, `dot` for Graphviz, or a `table`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;run-local' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Parameters file for the graph a label is taken from (as `tc graph -p`)')
            [CompletionResult]::new('--parameters', '--parameters', [CompletionResultType]::ParameterName, 'Parameters file for the graph a label is taken from (as `tc graph -p`)')
            [CompletionResult]::new('--dep', '--dep', [CompletionResultType]::ParameterName, 'The taskId a label''s references to dependency NAME resolve to (repeatable)')
            [CompletionResult]::new('--task-id', '--task-id', [CompletionResultType]::ParameterName, 'Run the task with this taskId from the queue at --root-url (instead of a TASK file)')
            [CompletionResult]::new('--local-task-id', '--local-task-id', [CompletionResultType]::ParameterName, 'The taskId the run uses (default: a fresh slugid, or the --task-id)')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Which engine runs the task: docker-worker payloads need Docker, generic-worker ones run natively')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for the task (repeatable; `K=` sets it empty)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from a dotenv file (repeatable)')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'A secret variable: masked as *** in everything tc prints or saves (best effort: artifact files are not scanned, encoded forms are not recognised). `K` alone reads it from tc''s environment, else asks for it on a terminal')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read secret variables from a dotenv file (repeatable)')
            [CompletionResult]::new('--artifacts-dir', '--artifacts-dir', [CompletionResultType]::ParameterName, 'Where artifacts go (default ./artifacts/<taskId>/)')
            [CompletionResult]::new('--missing-artifacts', '--missing-artifacts', [CompletionResultType]::ParameterName, 'Whether a missing artifact fails the task')
            [CompletionResult]::new('--max-run-time', '--max-run-time', [CompletionResultType]::ParameterName, 'Override the payload''s maxRunTime (0 = no limit)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Extra runs after an intermittent-task exit (onExitStatus.retry), 0 to 49')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc)')
            [CompletionResult]::new('--max-mount-size', '--max-mount-size', [CompletionResultType]::ParameterName, 'The most one mount may write into the task dir, decompressed (bytes, or with K, M, G or T); a mount that expands past it is malformed-payload')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The TaskCluster deployment the task sees as TASKCLUSTER_ROOT_URL')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image to run instead of the payload''s: an image tarball (.tar, .tar.gz, .tar.zst, .tar.lz4), task-id=ID[:PATH], index=NS[:PATH], in-tree=NAME, or a registry reference')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull a registry image')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Bind-mount HOST:CTR[:ro] into the container (Docker engine; repeatable)')
            [CompletionResult]::new('--volume', '--volume', [CompletionResultType]::ParameterName, 'Bind-mount HOST:CTR[:ro] into the container (Docker engine; repeatable)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The container''s network mode: none, host or a network name (default: the daemon''s)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The graph root (a taskcluster directory) for labels and in-tree images (default ./taskcluster when it holds config.yml, else <git top level>/taskcluster)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'With --script: write the script to FILE (mode 0755) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'With --script: write the script to FILE (mode 0755) instead of stdout')
            [CompletionResult]::new('--develop', '--develop', [CompletionResultType]::ParameterName, 'Use a local checkout where the task''s run-task would clone REPO (default: the only repository in the task''s REPOSITORIES): its run-task options go and the checkout is bound (Docker) or linked (native) in their place. The task may change your files')
            [CompletionResult]::new('--checkout', '--checkout', [CompletionResultType]::ParameterName, 'With --develop: the checkout to use (default: the repository root, the parent of the graph root)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many of several TASKs (or of the --graph''s tasks) run at once, 1 to 1000')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many of several TASKs (or of the --graph''s tasks) run at once, 1 to 1000')
            [CompletionResult]::new('--try', '--try', [CompletionResultType]::ParameterName, 'With --graph: try syntax choosing the target tasks (as `tc graph --try`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts')
            [CompletionResult]::new('--no-caches', '--no-caches', [CompletionResultType]::ParameterName, 'Give each cache a fresh, empty, throwaway directory instead of a kept instance')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the task directory (native) or container (Docker) afterwards')
            [CompletionResult]::new('--allow-capabilities', '--allow-capabilities', [CompletionResultType]::ParameterName, 'Accept docker-worker capabilities (privileged, devices, disableSeccomp)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and print the resolved definition and the plan; run nothing')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Open a shell in the task''s directory and environment instead of running it; `exec-task` runs the task''s commands. Needs a terminal and one task')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Open a shell in the task''s directory and environment instead of running it; `exec-task` runs the task''s commands. Needs a terminal and one task')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Print an equivalent bash script instead of running (secrets by name only)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --develop: do not ask before letting the task use the checkout')
            [CompletionResult]::new('--graph', '--graph', [CompletionResultType]::ParameterName, 'Run the whole target graph of the in-tree taskcluster/ directory: an embedded queue, every task submitted to it, a worker with -j slots, dependents after their dependencies; one progress line per task and a table of outcomes')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;submit' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The graph root (with --graph)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Parameters file for the graph (with --graph)')
            [CompletionResult]::new('--parameters', '--parameters', [CompletionResultType]::ParameterName, 'Parameters file for the graph (with --graph)')
            [CompletionResult]::new('--try', '--try', [CompletionResultType]::ParameterName, 'Try syntax choosing the graph''s target tasks (with --graph)')
            [CompletionResult]::new('--task-id', '--task-id', [CompletionResultType]::ParameterName, 'The taskId of a single task (default a new slugid)')
            [CompletionResult]::new('--task-queue', '--task-queue', [CompletionResultType]::ParameterName, 'The task queue of tasks that name none (default local/default)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Set each task''s deadline to its created time plus this duration (e.g. "2 hours")')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'The task group (default the first task''s id)')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('--graph', '--graph', [CompletionResultType]::ParameterName, 'Submit the optimized graph of the in-tree taskcluster/ directory')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for every task to resolve; exit by the worst state')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Print the task''s log as it runs, until it resolves; exit by its state (one task)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the final definitions and create nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before submitting more than 100 tasks')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before submitting more than 100 tasks')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;queue' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;queue;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on (a non-loopback address is served with a warning)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Directory of the database, the blobs and credentials.json (default $XDG_STATE_HOME/tc/queue, else ~/.local/state/tc/queue)')
            [CompletionResult]::new('--root-client-id', '--root-client-id', [CompletionResultType]::ParameterName, 'The root client''s id (scopes `*`)')
            [CompletionResult]::new('--root-access-token', '--root-access-token', [CompletionResultType]::ParameterName, 'The root client''s access token (default: generated once and kept in the database)')
            [CompletionResult]::new('--clients', '--clients', [CompletionResultType]::ParameterName, 'A YAML file of more clients (`clients: [{clientId, accessToken | accessTokenEnv, scopes, expires?}]`) and `anonymous: [...]` scopes')
            [CompletionResult]::new('--public-url', '--public-url', [CompletionResultType]::ParameterName, 'The root URL clients reach the queue at (default http://<listen address>)')
            [CompletionResult]::new('--claim-timeout', '--claim-timeout', [CompletionResultType]::ParameterName, 'Seconds a claim lasts before it must be reclaimed')
            [CompletionResult]::new('--claim-work-timeout', '--claim-work-timeout', [CompletionResultType]::ParameterName, 'Seconds claimWork waits for work before answering with no tasks')
            [CompletionResult]::new('--max-deadline-days', '--max-deadline-days', [CompletionResultType]::ParameterName, 'How many days ahead a task''s deadline may be')
            [CompletionResult]::new('--max-dependencies', '--max-dependencies', [CompletionResultType]::ParameterName, 'How many dependencies a task may have')
            [CompletionResult]::new('--max-blob-size', '--max-blob-size', [CompletionResultType]::ParameterName, 'The largest blob (s3 artifact) upload accepted, in bytes')
            [CompletionResult]::new('--header-read-timeout', '--header-read-timeout', [CompletionResultType]::ParameterName, 'Seconds a client may take to send a request''s head (a slow one is disconnected)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Seconds a connection may sit idle between requests before it is closed')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'How many connections may be open at once; more wait until one closes')
            [CompletionResult]::new('--print-env', '--print-env', [CompletionResultType]::ParameterName, 'Print the environment that points TaskCluster clients at this queue, and exit')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;queue;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;queue;help;serve' {
            break
        }
        'tc;queue;help;help' {
            break
        }
        'tc;worker' {
            [CompletionResult]::new('--task-queue', '--task-queue', [CompletionResultType]::ParameterName, 'A task queue to claim from (repeatable)')
            [CompletionResult]::new('--worker-group', '--worker-group', [CompletionResultType]::ParameterName, 'The worker group this worker reports')
            [CompletionResult]::new('--worker-id', '--worker-id', [CompletionResultType]::ParameterName, 'The worker id (default: the host name, characters outside [a-zA-Z0-9-_] as -, at most 38)')
            [CompletionResult]::new('--capacity', '--capacity', [CompletionResultType]::ParameterName, 'How many tasks run at once, 1 to 1000')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'With --once: give up after this many seconds without a task')
            [CompletionResult]::new('--shutdown-grace', '--shutdown-grace', [CompletionResultType]::ParameterName, 'Seconds running tasks get to finish after SIGTERM/SIGINT before they are stopped and reported worker-shutdown (a second signal skips them)')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Which engines run tasks: auto runs docker-worker payloads on Docker and generic-worker payloads natively; a payload for an engine not enabled is malformed-payload')
            [CompletionResult]::new('--max-task-run-time', '--max-task-run-time', [CompletionResultType]::ParameterName, 'The largest maxRunTime accepted, in seconds (a larger one is malformed-payload)')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull a registry image')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The containers'' network mode: none, host or a network name (default: the daemon''s)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc)')
            [CompletionResult]::new('--max-mount-size', '--max-mount-size', [CompletionResultType]::ParameterName, 'The most one mount may write into the task dir, decompressed (bytes, or with K, M, G or T); a mount that expands past it is malformed-payload')
            [CompletionResult]::new('--missing-artifacts', '--missing-artifacts', [CompletionResultType]::ParameterName, 'Whether a missing artifact fails the task')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Claim one task, run it, and exit by its outcome (0 completed, 1 failed, 3 exception, 4 nothing claimed within --wait-timeout)')
            [CompletionResult]::new('--allow-capabilities', '--allow-capabilities', [CompletionResultType]::ParameterName, 'Accept docker-worker capabilities (privileged, devices, disableSeccomp)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'State, runs and deadline of a task')
            [CompletionResult]::new('def', 'def', [CompletionResultType]::ParameterValue, 'A task''s definition as JSON')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'A task''s log (public/logs/live.log), optionally followed until it resolves')
            [CompletionResult]::new('artifacts', 'artifacts', [CompletionResultType]::ParameterValue, 'List or download a task''s artifacts')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a task')
            [CompletionResult]::new('rerun', 'rerun', [CompletionResultType]::ParameterValue, 'Run a resolved task again (dependencies are not checked)')
            [CompletionResult]::new('retrigger', 'retrigger', [CompletionResultType]::ParameterValue, 'Create a new task from a task''s definition, with fresh times')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;task;status' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the task resolves; exit 0 completed, 1 failed, 3 exception')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;def' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `json` (also `human`) or `yaml`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;log' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run (default the latest)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new output until the task resolves')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;artifacts' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run (default the latest)')
            [CompletionResult]::new('--get', '--get', [CompletionResultType]::ParameterName, 'Download this artifact')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write (a file for --get, or - for stdout; a directory for --all)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write (a file for --get, or - for stdout; a directory for --all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Download every artifact')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;cancel' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the call that would be made, and make none')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;rerun' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the call that would be made, and make none')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;retrigger' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the call that would be made, and make none')
            [CompletionResult]::new('--no-deps', '--no-deps', [CompletionResultType]::ParameterName, 'Drop the dependencies')
            [CompletionResult]::new('--keep-routes', '--keep-routes', [CompletionResultType]::ParameterName, 'Keep the routes (dropped by default, so indexes and notifications do not fire twice)')
            [CompletionResult]::new('--exact', '--exact', [CompletionResultType]::ParameterName, 'Keep everything but the times: dependencies and routes')
            [CompletionResult]::new('--new-group', '--new-group', [CompletionResultType]::ParameterName, 'Put the new task in a new group (its own id)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;task;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'State, runs and deadline of a task')
            [CompletionResult]::new('def', 'def', [CompletionResultType]::ParameterValue, 'A task''s definition as JSON')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'A task''s log (public/logs/live.log), optionally followed until it resolves')
            [CompletionResult]::new('artifacts', 'artifacts', [CompletionResultType]::ParameterValue, 'List or download a task''s artifacts')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a task')
            [CompletionResult]::new('rerun', 'rerun', [CompletionResultType]::ParameterValue, 'Run a resolved task again (dependencies are not checked)')
            [CompletionResult]::new('retrigger', 'retrigger', [CompletionResultType]::ParameterValue, 'Create a new task from a task''s definition, with fresh times')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;task;help;status' {
            break
        }
        'tc;task;help;def' {
            break
        }
        'tc;task;help;log' {
            break
        }
        'tc;task;help;artifacts' {
            break
        }
        'tc;task;help;cancel' {
            break
        }
        'tc;task;help;rerun' {
            break
        }
        'tc;task;help;retrigger' {
            break
        }
        'tc;task;help;help' {
            break
        }
        'tc;group' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Counts per state, the failed tasks and the blocked-task hint of a group')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tasks of a group')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a group''s unresolved tasks (all of them, or those the filters keep)')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal a group so that no task can join it (irreversible)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;group;status' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until nothing is pending or running and no unscheduled task can still run')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;group;list' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only tasks in these states (comma-separated: unscheduled, pending, running, completed, failed, exception)')
            [CompletionResult]::new('--task-queue', '--task-queue', [CompletionResultType]::ParameterName, 'Only tasks of this task queue')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;group;cancel' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only tasks in these states (comma-separated: unscheduled, pending, running, completed, failed, exception)')
            [CompletionResult]::new('--task-queue', '--task-queue', [CompletionResultType]::ParameterName, 'Only tasks of this task queue')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('--seal', '--seal', [CompletionResultType]::ParameterName, 'Seal the group first, then cancel it as a whole')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the calls that would be made, and make none')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;group;seal' {
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue''s root URL (default $TASKCLUSTER_ROOT_URL, else http://127.0.0.1:8080)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the call that would be made, and make none')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;group;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Counts per state, the failed tasks and the blocked-task hint of a group')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tasks of a group')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a group''s unresolved tasks (all of them, or those the filters keep)')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal a group so that no task can join it (irreversible)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;group;help;status' {
            break
        }
        'tc;group;help;list' {
            break
        }
        'tc;group;help;cancel' {
            break
        }
        'tc;group;help;seal' {
            break
        }
        'tc;group;help;help' {
            break
        }
        'tc;scopes' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('satisfies', 'satisfies', [CompletionResultType]::ParameterValue, 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)')
            [CompletionResult]::new('normalize', 'normalize', [CompletionResultType]::ParameterValue, 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;scopes;satisfies' {
            [CompletionResult]::new('--have', '--have', [CompletionResultType]::ParameterName, 'A scope the caller has (repeatable). No `assume:` roles are expanded')
            [CompletionResult]::new('--have-json', '--have-json', [CompletionResultType]::ParameterName, 'More scopes the caller has, as a JSON list of strings')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;scopes;normalize' {
            [CompletionResult]::new('--have-json', '--have-json', [CompletionResultType]::ParameterName, 'More scopes, as a JSON list of strings')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;scopes;help' {
            [CompletionResult]::new('satisfies', 'satisfies', [CompletionResultType]::ParameterValue, 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)')
            [CompletionResult]::new('normalize', 'normalize', [CompletionResultType]::ParameterValue, 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;scopes;help;satisfies' {
            break
        }
        'tc;scopes;help;normalize' {
            break
        }
        'tc;scopes;help;help' {
            break
        }
        'tc;slugid' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many slugids to print')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many slugids to print')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('--v4', '--v4', [CompletionResultType]::ParameterName, 'Draw from all v4 slugids, which may start with `-`, instead of nice ones (`[A-Za-f]` first)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Print the UUID a slugid encodes')
            [CompletionResult]::new('encode', 'encode', [CompletionResultType]::ParameterValue, 'Print the slugid of a v4 UUID')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;slugid;decode' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;slugid;encode' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;slugid;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Print the UUID a slugid encodes')
            [CompletionResult]::new('encode', 'encode', [CompletionResultType]::ParameterValue, 'Print the slugid of a v4 UUID')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;slugid;help;decode' {
            break
        }
        'tc;slugid;help;encode' {
            break
        }
        'tc;slugid;help;help' {
            break
        }
        'tc;from-now' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Start from this RFC 3339 time instead of now')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;completions' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write `tc.1` and a page per subcommand (`tc-try-parse.1`, ...) into this directory instead of printing `tc.1`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;doctor' {
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The cache root to check (default $TC_CACHE_DIR, else your user cache directory + /tc)')
            [CompletionResult]::new('--root-url', '--root-url', [CompletionResultType]::ParameterName, 'The queue to check')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` or `yaml` for scripts')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the requested data: no progress bars or hints on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tc;help' {
            [CompletionResult]::new('try', 'try', [CompletionResultType]::ParameterValue, 'Mozilla try syntax: parse a try string or commit message, or count options over pushes')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Render the task graph of an in-tree `taskcluster/` directory, like taskgraph')
            [CompletionResult]::new('run-local', 'run-local', [CompletionResultType]::ParameterValue, 'Run a task (or the whole in-tree graph) on this machine with the real worker rules')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Send a task, a list of tasks or a whole graph to a TaskCluster queue')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'The embedded TaskCluster queue')
            [CompletionResult]::new('worker', 'worker', [CompletionResultType]::ParameterValue, 'Claim tasks from a queue, run them and report the results')
            [CompletionResult]::new('task', 'task', [CompletionResultType]::ParameterValue, 'Look at and act on one task of a queue')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'Look at and act on a task group of a queue')
            [CompletionResult]::new('scopes', 'scopes', [CompletionResultType]::ParameterValue, 'TaskCluster scope satisfaction and normalisation')
            [CompletionResult]::new('slugid', 'slugid', [CompletionResultType]::ParameterValue, 'Make slugids (TaskCluster''s 22-character task ids), or convert them to and from UUIDs')
            [CompletionResult]::new('from-now', 'from-now', [CompletionResultType]::ParameterValue, 'Print the time a relative duration from now (or from --from) as the queue writes it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print tc''s man page, or write a page for tc and every subcommand to a directory')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check what tc would use on this machine: Docker, caches, the queue')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tc;help;try' {
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse try syntax and, given a graph context, resolve what it selects')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON)')
            break
        }
        'tc;help;try;parse' {
            break
        }
        'tc;help;try;stats' {
            break
        }
        'tc;help;graph' {
            break
        }
        'tc;help;run-local' {
            break
        }
        'tc;help;submit' {
            break
        }
        'tc;help;queue' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes)')
            break
        }
        'tc;help;queue;serve' {
            break
        }
        'tc;help;worker' {
            break
        }
        'tc;help;task' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'State, runs and deadline of a task')
            [CompletionResult]::new('def', 'def', [CompletionResultType]::ParameterValue, 'A task''s definition as JSON')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'A task''s log (public/logs/live.log), optionally followed until it resolves')
            [CompletionResult]::new('artifacts', 'artifacts', [CompletionResultType]::ParameterValue, 'List or download a task''s artifacts')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a task')
            [CompletionResult]::new('rerun', 'rerun', [CompletionResultType]::ParameterValue, 'Run a resolved task again (dependencies are not checked)')
            [CompletionResult]::new('retrigger', 'retrigger', [CompletionResultType]::ParameterValue, 'Create a new task from a task''s definition, with fresh times')
            break
        }
        'tc;help;task;status' {
            break
        }
        'tc;help;task;def' {
            break
        }
        'tc;help;task;log' {
            break
        }
        'tc;help;task;artifacts' {
            break
        }
        'tc;help;task;cancel' {
            break
        }
        'tc;help;task;rerun' {
            break
        }
        'tc;help;task;retrigger' {
            break
        }
        'tc;help;group' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Counts per state, the failed tasks and the blocked-task hint of a group')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tasks of a group')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a group''s unresolved tasks (all of them, or those the filters keep)')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal a group so that no task can join it (irreversible)')
            break
        }
        'tc;help;group;status' {
            break
        }
        'tc;help;group;list' {
            break
        }
        'tc;help;group;cancel' {
            break
        }
        'tc;help;group;seal' {
            break
        }
        'tc;help;scopes' {
            [CompletionResult]::new('satisfies', 'satisfies', [CompletionResultType]::ParameterValue, 'Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid)')
            [CompletionResult]::new('normalize', 'normalize', [CompletionResultType]::ParameterValue, 'The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped')
            break
        }
        'tc;help;scopes;satisfies' {
            break
        }
        'tc;help;scopes;normalize' {
            break
        }
        'tc;help;slugid' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Print the UUID a slugid encodes')
            [CompletionResult]::new('encode', 'encode', [CompletionResultType]::ParameterValue, 'Print the slugid of a v4 UUID')
            break
        }
        'tc;help;slugid;decode' {
            break
        }
        'tc;help;slugid;encode' {
            break
        }
        'tc;help;from-now' {
            break
        }
        'tc;help;completions' {
            break
        }
        'tc;help;man' {
            break
        }
        'tc;help;doctor' {
            break
        }
        'tc;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
