/**
 * The one place where errors from the operating system become sentences for people. Node's own
 * messages ("ENOENT: no such file or directory, open '/a/b/events.jsonl'") name a syscall and a
 * code; the CLI, the extension and the log show this instead ("the folder /a/b does not exist,
 * so events.jsonl cannot be created in it"). Errors that are not system errors keep their
 * message, which is already written for people (SessionKeeperError and the rest).
 */
import { existsSync, lstatSync } from 'node:fs';
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
    case 'copyfile':
      return 'copy';
    case 'link':
    case 'symlink':
      return 'link';
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

/** True when something (a symbolic link included, dangling or not) is at `p`. */
function isPresent(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path an error is about. A call on two paths (rename, link, symlink, copyfile) puts the
 * source in `path` and the destination in `dest`, whichever of them failed: an existing or
 * non-empty destination, or a missing folder for it (ENOENT while the source is there; for
 * symlink the source is only the link's text), is the destination's fault.
 */
function blamedPath(err: SystemError): string | undefined {
  const { path: p, dest } = err;
  if (p === undefined || dest === undefined) return p;
  switch (err.code) {
    case 'EEXIST':
    case 'EISDIR':
    case 'ENOTEMPTY':
      return dest;
    case 'ENOENT':
      return err.syscall === 'symlink' || isPresent(p) ? dest : p;
    default:
      return p;
  }
}

/** A sentence for a system error; undefined for an error code without one (its message is used). */
export function describeSystemError(err: SystemError): string | undefined {
  const p = blamedPath(err);
  const where = p ?? 'the path given';
  const does = action(err.syscall);
  // What a two-path call was doing, for the errors that belong to neither path alone.
  const what = err.path !== undefined && err.dest !== undefined ? `${err.path} to ${err.dest}` : where;
  switch (err.code) {
    case 'ENOENT': {
      if (p === undefined) return 'a file or folder it needs does not exist';
      const missing = firstMissing(p);
      if (missing !== p) return `the folder ${missing} does not exist (needed for ${p}); create it first`;
      return `${p} does not exist`;
    }
    case 'EACCES':
    case 'EPERM':
      return `permission denied: cannot ${does} ${what}`;
    case 'EISDIR':
      return p === undefined ? 'a folder was given where a file is needed' : `${p} is a folder, not a file`;
    case 'ENOTDIR':
      return err.dest === undefined
        ? `a part of ${where} is a file where a folder is needed`
        : `a part of ${err.path} or of ${err.dest} is a file where a folder is needed`;
    case 'EEXIST':
      return `${where} already exists`;
    case 'ENOTEMPTY':
      return `${where} is a folder that is not empty`;
    case 'ENOSPC':
      return `the disk is full: cannot ${does} ${what}`;
    case 'EDQUOT':
      return `the disk quota is used up: cannot ${does} ${what}`;
    case 'EROFS':
      return `${where} is on a read-only file system`;
    case 'ENAMETOOLONG':
      return `the path is too long: ${where}`;
    case 'ELOOP':
      // Either O_NOFOLLOW met a link (we refuse links there) or the path loops through links.
      return `${where} is a symbolic link where Session Keeper follows none, or its path loops through symbolic links`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many files are open: cannot ${does} ${where} now (try again)`;
    case 'EBUSY':
      return `${where} is busy (in use by another program)`;
    case 'ENXIO':
      return `${where} is not a regular file (a pipe or device with no reader)`;
    case 'EXDEV':
      return err.dest === undefined ? `${where} cannot be moved to another file system in one step` : `${err.path} cannot be moved to ${err.dest} in one step: another file system`;
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
