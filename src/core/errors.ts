/**
 * The one base class of every error `src/core` throws on purpose.
 *
 * Each subclass carries a stable `code` (an `E…` string in the style of Node's errno codes and of
 * proper-lockfile's `ELOCKED`), so callers — the CLI's exit codes, the extension's messages, a
 * program using the library — recognise an error by `code` or `instanceof`, never by its message
 * or class name, and a message can be reworded without breaking anyone.
 */
export class SessionKeeperError extends Error {
  /**
   * @param code stable identifier of the kind of failure, e.g. `'ELOCKTIMEOUT'`.
   * @param message one sentence for a person: what went wrong and, where known, what to do.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Subclasses inherit this, so `name` is the concrete class in stack traces and logs.
    this.name = new.target.name;
  }
}

/** True when `err` is a {@link SessionKeeperError} with the given `code`. */
export function hasErrorCode(err: unknown, code: string): err is SessionKeeperError {
  return err instanceof SessionKeeperError && err.code === code;
}
