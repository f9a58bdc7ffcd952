// Fixture for the harness self-test: a test run that never finishes, as a hung VS Code would.
export function run(): Promise<void> {
  return new Promise(() => undefined);
}
