// Help texts. docs/cli.md is the long form; keep the two in step.

const GLOBAL = `Usage: session-keeper [--dir DIR | --registry URL] <command> [options]

Coordinate sessions (VS Code windows, agents, servers) through a shared registry (a sessions
directory, or a Redis server shared by several machines), and write or repair JSONL files safely.

Commands:
  list [--json] [--all]            sessions with their states (active, unresponsive, stale, closed)
  register [options]               register a session; prints its id
  heartbeat ID                     refresh a session's heartbeat
  close ID                         mark a session closed
  run [options] -- CMD [ARGS...]   run CMD as a session: register, heartbeat, close on exit
  archive ID... | --stale          move sessions to archive/YYYY-MM-DD/; with --prune-older-than DAYS
                                   also delete archive days older than DAYS (opt-in)
  append FILE JSON                 append one JSON value to a JSONL file under its lock
  check FILE [--json]              is FILE strict JSON Lines? counts records, problems, corrupted lines
  repair FILE [--json]             repair a JSONL file, quarantining what cannot be recovered
  mcp [--interval MS]              MCP server on stdin/stdout: the launching agent becomes a session
  help [COMMAND]                   this text, or a command's

Options for every command:
  --dir DIR     sessions directory (default: $SESSION_KEEPER_DIR, else the platform state dir)
  --registry URL
                the registry: a directory, or redis://[user@]host[:port][/db][?prefix=P]
                (rediss:// for TLS); wins over --dir (see docs/redis.md)
  --registry-password-file FILE
                the Redis password, one line in a file only you can read (never put it in a URL)
  -h, --help    show help
The registry is chosen by --registry, then --dir, then $SESSION_KEEPER_REGISTRY, then
$SESSION_KEEPER_DIR, then the config file's "registry", then the platform state dir.

Environment:
  SESSION_KEEPER_DIR        default sessions directory
  SESSION_KEEPER_REGISTRY   default registry (a directory or a Redis URL); wins over SESSION_KEEPER_DIR
  SESSION_KEEPER_REGISTRY_PASSWORD_FILE   default for --registry-password-file
  SESSION_KEEPER_CONFIG     the config file (default $XDG_CONFIG_HOME/session-keeper/config.json,
                            ~/Library/Application Support/… on macOS, %APPDATA%\\… on Windows):
                            {"registry": URL, "registryPasswordFile": FILE}
  SESSION_KEEPER_HOSTNAME   host name recorded and compared (default: the OS host name)

Exit codes: 0 success, 1 a check found a problem, 2 usage or I/O error.
`;

/** register's and run's timing options (src/cli/timing-options.ts). */
const TIMING_HELP = `  --interval MS             promised heartbeat interval in ms (default 10000)
  --unresponsive-after MS   written into the record: unresponsive after this long without a
                            heartbeat (default: 3 intervals)
  --expire-after MS         written into the record: stale after this long without a heartbeat
                            when the process cannot be checked (another host or PID space);
                            a process alive here keeps it unresponsive (default 86400000, 24 h)
                            Must hold: --interval <= --unresponsive-after <= --expire-after.
  --grace MS                the cleanup this command starts leaves a stale session for this long
                            after a cleanup first saw it stale (default 600000, 10 min)
`;

const COMMANDS: Record<string, string> = {
  list: `Usage: session-keeper list [--json] [--all] [--dir DIR | --registry URL]

Lists the sessions in the sessions directory with their states:
  active         heartbeat is recent
  unresponsive   no heartbeat for the session's unresponsiveAfterMs (default 3 of its own
                 heartbeat intervals), but the process is alive or cannot be checked here
                 (another host, or another PID namespace or boot with this host name)
  stale          process gone, a zombie, or its pid reused; or, where the process cannot be
                 checked, no heartbeat for the session's expireAfterMs (default 24 h); or a
                 heartbeat from beyond that far in the future, or from a previous boot
  closed         closed by its owner
Every session is judged by the thresholds in its own record, so every reader agrees.

Options:
  --json   print a JSON array (fields: id, state, reason, pid, hostname, user, label, status, tool,
           workspaceFolders, createdAt, heartbeatAt, heartbeatAgeMs, heartbeatIntervalMs,
           closedAt, processStartedAt, unresponsiveAfterMs, expireAfterMs, bootId, pidNamespace,
           processStartTicks, archivedOn, file, journal)
  --all    include archived sessions (archivedOn is their archive day)

Entries that are not valid records are skipped with a warning on stderr.
`,
  register: `Usage: session-keeper register [--label L] [--pid PID] [--tool T] [--workspace DIR]... [--interval MS]
                                [--unresponsive-after MS] [--expire-after MS] [--grace MS]

Registers a session and prints only its id. Keep it alive with "heartbeat ID" at least every
interval and end it with "close ID"; or use "run", which does all of that. Registering also
archives closed sessions and stale ones past the grace period; each is named on stderr.

Options:
  --label L                 human-readable label (default: empty)
  --pid PID                 the process the session stands for (default: the parent process, e.g. the shell)
  --tool T                  name of the tool registering (default: session-keeper-cli)
  --workspace DIR           a workspace folder; repeat for several
${TIMING_HELP}`,
  heartbeat: `Usage: session-keeper heartbeat ID [--dir DIR | --registry URL]

Refreshes the heartbeat of session ID. If the session was archived or its record removed, it is
registered again under the same id. Fails (exit 2) if the session is closed or unknown.
`,
  close: `Usage: session-keeper close ID [--dir DIR | --registry URL]

Marks session ID closed. Closing a closed or archived session does nothing. The record stays
until cleanup ("archive --stale", or the next session created) archives it.
`,
  run: `Usage: session-keeper run [--label L] [--tool T] [--workspace DIR]... [--interval MS]
                           [--unresponsive-after MS] [--expire-after MS] [--grace MS] -- CMD [ARGS...]

Runs CMD (without a shell) as a session: registers it with the child's pid, heartbeats every
interval while it runs, closes the session when it exits. SIGINT, SIGTERM and SIGHUP are
forwarded to the child. Exits with the child's exit code, or 128+N if a signal N killed it.

Options:
  --label L                 label (default: the command line)
  --tool T                  tool name (default: session-keeper-run)
  --workspace DIR           a workspace folder; repeat for several
${TIMING_HELP}`,
  archive: `Usage: session-keeper archive ID... [--json]
       session-keeper archive --stale [--prune-older-than DAYS] [--json]
       session-keeper archive --prune-older-than DAYS [--json]

Moves sessions' record and journal files to archive/YYYY-MM-DD/ (UTC day of archiving). Nothing
is deleted or overwritten. With --stale, archives every stale and closed session at once
(never unresponsive ones); the grace period of the automatic cleanup does not apply.
--prune-older-than is the only way anything is deleted: it removes whole archive days older
than DAYS days (with today 2026-03-10 and 30, every day before 2026-02-08).

Options:
  --stale                    archive all stale and closed sessions, however recently they went stale
  --prune-older-than DAYS    delete archive day folders older than DAYS whole days (1 or more)
  --json                     print a JSON array of {id, archivedOn, state, reason, label, moved: [{from, to}]};
                             with --prune-older-than alone {pruned: [{day, dir, files}]}, with both
                             {archived: [...], pruned: [...]}
`,
  append: `Usage: session-keeper append FILE JSON

Appends the JSON value as one line to FILE (created 0600 if missing) while holding FILE's lock,
so concurrent writers never interleave. Invalid JSON is refused (exit 2) and nothing is written.
`,
  check: `Usage: session-keeper check FILE [--json] [--max-line-bytes N] [--threads N]

Reads FILE as JSONL and reports the number of records, corrupted lines and their ratio, and each
problem with its line number and byte offset. Exit 0 only if FILE is strict JSON Lines (one JSON
value per line, UTF-8, LF or CRLF endings, no BOM); exit 1 on any problem: damage (corrupted
lines), or fused values, CR-only line ends, a BOM (repair fixes those without loss), or a file
in UTF-16 or UTF-32 (the encoding is named).

Options:
  --json                print {file, bytes, lines, records, recovered, oversized, corrupted,
                        corruptionRatio, warn, problemCount, problemsByKind, problems}
  --max-line-bytes N    lines longer than N bytes (default 16777216) are validated by streaming
                        instead of being read: valid ones count as records, others as too-long;
                        a line's bytes include the '\\r' of CRLF and a BOM on the first line
  --threads N           threads for a large file (default: the cores, at most 4; 1 = one thread);
                        the result is the same with any number
`,
  repair: `Usage: session-keeper repair FILE [--json] [--max-line-bytes N]

Repairs FILE in place under its lock: keeps valid records, recovers whole records from damaged
lines, writes one record per line, and moves everything else byte for byte into a quarantine file
next to it. A file in UTF-16 or UTF-32, or one it would keep no record from that has NUL bytes
interleaved with its text, is refused (exit 2) and left untouched. A file check passes (strict
JSON Lines, CRLF and a missing final newline included) is never rewritten.

Options:
  --json                print {file, kept, recovered, quarantined, reformatted, quarantinedBytes,
                        quarantinePath, crlfEndings, finalNewlineAdded, changed, problems, before}
  --max-line-bytes N    lines longer than N bytes (default 16777216) are streamed, never held:
                        kept when valid JSON, quarantined when not (bytes counted as for check)
`,
  mcp: `Usage: session-keeper mcp [--dir DIR | --registry URL] [--interval MS]

Runs a Model Context Protocol server on stdin/stdout, for an agent to launch (see docs/agents.md).
The agent (this process's parent) becomes a session labelled with the client's name, tool
"mcp:<client name>", its roots (else the working directory) as workspace folders. The session
heartbeats while the connection is open and is closed when the client disconnects; if the agent
dies without disconnecting, the session turns stale. Logs go to stderr.

Tools: list_sessions, set_session_status, append_jsonl, check_jsonl, repair_jsonl. File tools
only touch regular .jsonl/.ndjson files inside the client's roots (or the working directory,
unless it is the home directory or /), never through a symbolic link, never in .git/ or the
sessions directory.

Options:
  --interval MS    heartbeat interval in ms (default 10000)
`,
};

export function globalHelp(): string {
  return GLOBAL;
}

export function commandHelp(command: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
}

export const COMMAND_NAMES = Object.keys(COMMANDS);
