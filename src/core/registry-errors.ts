// Errors of choosing and reaching a registry. Messages name the registry by its location
// without the password (see redactUrl), so none of them can leak a secret into a log.
import { SessionKeeperError } from './errors';

/** The location names no backend this version supports, or is malformed. Code `EREGISTRYURL`. */
export class UnsupportedRegistryError extends SessionKeeperError {
  constructor(
    readonly location: string,
    why = 'expected a directory path, a file: URL, or redis://[user[:password]@]host[:port][/db] (rediss:// for TLS)',
  ) {
    super('EREGISTRYURL', `unsupported registry location ${JSON.stringify(location)}: ${why}`);
  }
}

/**
 * The registry's server cannot be reached (refused, timed out, connection lost). Code
 * `EREGISTRYDOWN`. Long-lived users keep reconnecting on their own with bounded backoff.
 */
export class RegistryUnavailableError extends SessionKeeperError {
  constructor(readonly location: string, reason: string, options?: { cause?: unknown }) {
    super('EREGISTRYDOWN', `registry ${location} is unreachable: ${reason}`, options);
  }
}

/** The server refused the credentials (wrong password or user, or no password given). Code `EREGISTRYAUTH`. */
export class RegistryAuthError extends SessionKeeperError {
  constructor(readonly location: string, reason: string, options?: { cause?: unknown }) {
    super('EREGISTRYAUTH', `registry ${location} refused the credentials: ${reason}`, options);
  }
}

/** The TLS handshake failed (certificate not trusted, wrong host name, server without TLS). Code `EREGISTRYTLS`. */
export class RegistryTlsError extends SessionKeeperError {
  constructor(readonly location: string, reason: string, options?: { cause?: unknown }) {
    super('EREGISTRYTLS', `TLS to registry ${location} failed: ${reason}`, options);
  }
}

/** The password file cannot be used (missing, empty, readable by others). Code `EREGISTRYPASSWORD`. */
export class RegistryPasswordFileError extends SessionKeeperError {
  constructor(readonly file: string, reason: string) {
    super('EREGISTRYPASSWORD', `registry password file ${file}: ${reason}`);
  }
}

/** The registry configuration file is not valid. Code `EREGISTRYCONFIG`. */
export class RegistryConfigError extends SessionKeeperError {
  constructor(readonly file: string, reason: string) {
    super('EREGISTRYCONFIG', `registry configuration ${file}: ${reason}`);
  }
}

/** A reply of the server that is not what the registry's own script returns. Code `EREGISTRYREPLY`. */
export class RegistryReplyError extends SessionKeeperError {
  constructor(reason: string) {
    super('EREGISTRYREPLY', `unexpected reply from the registry: ${reason}`);
  }
}
