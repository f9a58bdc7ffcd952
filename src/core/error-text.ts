/**
 * The one place where errors from the operating system become sentences for people. Node's own
 * messages ("ENOENT: no such file or directory, open '/a/b/events.jsonl'") name a syscall and a
 * code; the CLI, the extension and the log show this instead ("the folder /a/b does not exist,
 * so events.jsonl cannot be created in it"). Errors that are not system errors keep their
 * message, which is already written for people (SessionKeeperError and the rest).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The fields Node puts on a failed system call's error. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

function isSystemError(err: unknown): err is SystemError {
  return err instanceof Error && typeof (err as SystemError).code === 'string' && /^E[A-Z0-9]+$/.test((err as SystemError).code) &&
    (typeof (err as SystemError).syscall === 'string' || typeof (err as SystemError).path === 'string');
}

/** What the failing call tried to do to `p`, in words: "open", "create", "read"… */
function action(syscall: string | undefined): string {
  switch (syscall) {
    case 'open':
      return 'open';
    case 'mkdir':
      return 'create the folder';
    case 'rename':
      return 'move';
    case 'unlink':
    case 'rmdir':
    case 'rm':
      return 'remove';
    case 'scandir':
    case 'opendir':
      return 'list the folder';
    case 'write':
      return 'write to';
    case 'read':
      return 'read';
    default:
      return 'use';
  }
}

/** The missing piece of `p`: its nearest ancestor that does not exist, or `p` itself. */
function firstMissing(p: string): string {
  let missing = p;
  for (let dir = path.dirname(p); dir !== path.dirname(dir) && !existsSync(dir); dir = path.dirname(dir)) missing = dir;
  return missing;
}

/** A sentence for a system error; undefined for an error code without one (its message is used). */
export function describeSystemError(err: SystemError): string | undefined {
  const p = err.path;
  const where = p ?? 'the path given';
  const does = action(err.syscall);
  switch (err.code) {
    case 'ENOENT': {
      if (p === undefined) return 'a file or folder it needs does not exist';
      const missing = firstMissing(p);
      if (missing !== p) return `the folder ${missing} does not exist (needed for ${p}); create it first`;
      return `${p} does not exist`;
    }
    case 'EACCES':
    case 'EPERM':
      return `permission denied: cannot ${does} ${where}`;
    case 'EISDIR':
      return p === undefined ? 'a folder was given where a file is needed' : `${p} is a folder, not a file`;
    case 'ENOTDIR':
      return `a part of ${where} is a file where a folder is needed`;
    case 'EEXIST':
      return `${where} already exists`;
    case 'ENOSPC':
      return `the disk is full: cannot ${does} ${where}`;
    case 'EDQUOT':
      return `the disk quota is used up: cannot ${does} ${where}`;
    case 'EROFS':
      return `${where} is on a read-only file system`;
    case 'ENAMETOOLONG':
      return `the path is too long: ${where}`;
    case 'ELOOP':
      return `${where} is a symbolic link (or a loop of them), which is not followed here`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many files are open: cannot ${does} ${where} now (try again)`;
    case 'EBUSY':
      return `${where} is busy (in use by another program)`;
    case 'ENXIO':
      return `${where} is not a regular file (a pipe or device with no reader)`;
    case 'EXDEV':
      return `${where} cannot be moved to another file system in one step`;
    case 'EIO':
      return `the disk reported an input/output error on ${where}`;
    default:
      return undefined;
  }
}

/**
 * One line for a person about anything thrown: a system error (also one given as another
 * error's `cause`) in words, else the error's message. The code stays at the end for searches
 * and bug reports ("… (ENOENT)").
 */
export function errorText(err: unknown): string {
  if (isSystemError(err)) {
    const text = describeSystemError(err);
    if (text !== undefined) return `${text} (${err.code})`;
    return err.message;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    // A wrapper that only repeats its cause's raw message: say the cause in words instead.
    if (isSystemError(cause) && err.message.includes(cause.message)) {
      const text = describeSystemError(cause);
      if (text !== undefined) return err.message.replace(cause.message, `${text} (${cause.code})`);
    }
    return err.message;
  }
  return String(err);
}
