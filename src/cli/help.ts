// Help texts. docs/cli.md is the long form; keep the two in step.

const GLOBAL = `Usage: session-keeper [--dir DIR] <command> [options]

Coordinate sessions (VS Code windows, agents, servers) through a shared sessions directory,
and write or repair JSONL files safely.

Commands:
  list [--json] [--all]            sessions with their states (active, unresponsive, stale, closed)
  register [options]               register a session; prints its id
  heartbeat ID                     refresh a session's heartbeat
  close ID                         mark a session closed
  run [options] -- CMD [ARGS...]   run CMD as a session: register, heartbeat, close on exit
  archive ID... | --stale          move sessions to archive/YYYY-MM-DD/
  append FILE JSON                 append one JSON value to a JSONL file under its lock
  check FILE [--json]              count records and corrupted lines of a JSONL file
  repair FILE [--json]             repair a JSONL file, quarantining what cannot be recovered
  mcp [--interval MS]              MCP server on stdin/stdout: the launching agent becomes a session
  help [COMMAND]                   this text, or a command's

Options for every command:
  --dir DIR     sessions directory (default: $SESSION_KEEPER_DIR, else the platform state dir)
  -h, --help    show help

Environment:
  SESSION_KEEPER_DIR        default sessions directory
  SESSION_KEEPER_HOSTNAME   host name recorded and compared (default: the OS host name)

Exit codes: 0 success, 1 a check found a problem, 2 usage or I/O error.
`;

const COMMANDS: Record<string, string> = {
  list: `Usage: session-keeper list [--json] [--all] [--dir DIR]

Lists the sessions in the sessions directory with their states:
  active         heartbeat is recent
  unresponsive   no heartbeat for 3 intervals, but the process is alive (or on another host)
  stale          process gone or its pid reused, or no heartbeat for 24 h
  closed         closed by its owner

Options:
  --json   print a JSON array (fields: id, state, reason, pid, hostname, user, label, status, tool,
           workspaceFolders, createdAt, heartbeatAt, heartbeatAgeMs, heartbeatIntervalMs,
           closedAt, processStartedAt, archivedOn, file, journal)
  --all    include archived sessions (archivedOn is their archive day)

Entries that are not valid records are skipped with a warning on stderr.
`,
  register: `Usage: session-keeper register [--label L] [--pid PID] [--tool T] [--workspace DIR]... [--interval MS]

Registers a session and prints only its id. Keep it alive with "heartbeat ID" at least every
interval and end it with "close ID"; or use "run", which does all of that.

Options:
  --label L        human-readable label (default: empty)
  --pid PID        the process the session stands for (default: the parent process, e.g. the shell)
  --tool T         name of the tool registering (default: session-keeper-cli)
  --workspace DIR  a workspace folder; repeat for several
  --interval MS    promised heartbeat interval in ms (default 10000)
`,
  heartbeat: `Usage: session-keeper heartbeat ID [--dir DIR]

Refreshes the heartbeat of session ID. If the session was archived or its record removed, it is
registered again under the same id. Fails (exit 2) if the session is closed or unknown.
`,
  close: `Usage: session-keeper close ID [--dir DIR]

Marks session ID closed. Closing a closed or archived session does nothing. The record stays
until cleanup ("archive --stale", or the next session created) archives it.
`,
  run: `Usage: session-keeper run [--label L] [--tool T] [--workspace DIR]... [--interval MS] -- CMD [ARGS...]

Runs CMD (without a shell) as a session: registers it with the child's pid, heartbeats every
interval while it runs, closes the session when it exits. SIGINT, SIGTERM and SIGHUP are
forwarded to the child. Exits with the child's exit code, or 128+N if a signal N killed it.

Options:
  --label L        label (default: the command line)
  --tool T         tool name (default: session-keeper-run)
  --workspace DIR  a workspace folder; repeat for several
  --interval MS    heartbeat interval in ms (default 10000)
`,
  archive: `Usage: session-keeper archive ID... [--json]
       session-keeper archive --stale [--json]

Moves sessions' record and journal files to archive/YYYY-MM-DD/ (UTC day of archiving). Nothing
is deleted or overwritten. With --stale, archives every stale and closed session (never
unresponsive ones).

Options:
  --stale  archive all stale and closed sessions
  --json   print a JSON array of {id, archivedOn, state, reason, moved: [{from, to}]}
`,
  append: `Usage: session-keeper append FILE JSON

Appends the JSON value as one line to FILE (created 0600 if missing) while holding FILE's lock,
so concurrent writers never interleave. Invalid JSON is refused (exit 2) and nothing is written.
`,
  check: `Usage: session-keeper check FILE [--json]

Reads FILE as JSONL and reports the number of records, corrupted lines and their ratio, and each
problem with its line number and byte offset. Exit 1 if any line is corrupted.

Options:
  --json   print {file, bytes, lines, records, recovered, corrupted, corruptionRatio, warn, problems}
`,
  repair: `Usage: session-keeper repair FILE [--json]

Repairs FILE in place under its lock: keeps valid records, recovers what can be salvaged from
damaged lines, and moves everything else byte for byte into a quarantine file next to it.

Options:
  --json   print {file, kept, recovered, quarantined, quarantinedBytes, quarantinePath, changed}
`,
  mcp: `Usage: session-keeper mcp [--dir DIR] [--interval MS]

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
