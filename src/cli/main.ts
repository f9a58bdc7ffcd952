// Placeholder; the CLI is built in issue 2.
process.stdout.write('session-keeper: not yet implemented\n');
process.exit(2);
