// Why the registry cannot be used, as one of a few kinds: the welcome view shows the sentence
// and the buttons of its kind (a context key picks them), the log and the status bar's tooltip
// the full message. No vscode import: unit-tested under plain Node.

/**
 * The kinds of "cannot use the registry", by the error's code:
 * - `unreachable`: the registry's server is down or unreachable (EREGISTRYDOWN);
 * - `credentials`: it refused the credentials, or the password file is unusable (EREGISTRYAUTH, EREGISTRYPASSWORD);
 * - `tls`: the TLS handshake failed (EREGISTRYTLS);
 * - `configuration`: the registry setting, URL or configuration file is invalid (EREGISTRYURL, EREGISTRYCONFIG);
 * - `unsafe`: the sessions folder is not a folder, or others could write it (EUNSAFEDIR);
 * - `permission`: this user may not read the sessions folder (EACCES, EPERM);
 * - `other`: anything else (the log says what).
 */
export type RegistryProblem = 'unreachable' | 'credentials' | 'tls' | 'configuration' | 'unsafe' | 'permission' | 'other';

const BY_CODE: Readonly<Record<string, RegistryProblem>> = {
  EREGISTRYDOWN: 'unreachable',
  EREGISTRYAUTH: 'credentials',
  EREGISTRYPASSWORD: 'credentials',
  EREGISTRYTLS: 'tls',
  EREGISTRYURL: 'configuration',
  EREGISTRYCONFIG: 'configuration',
  EUNSAFEDIR: 'unsafe',
  EACCES: 'permission',
  EPERM: 'permission',
};

/** The kind of a registry failure, from its `code` (a SessionKeeperError's or a system error's). */
export function registryProblemOf(err: unknown): RegistryProblem {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return (typeof code === 'string' && BY_CODE[code]) || 'other';
}
