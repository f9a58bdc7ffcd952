// Errors about the file an operation was pointed at, shared by the reader, append and repair.
import { SessionKeeperError } from './errors';

/**
 * The path names something other than a regular file (a FIFO, device, directory, socket), which
 * a read could block on or a write could lose data into. Code `ENOTREGULAR`.
 */
export class NotRegularFileError extends SessionKeeperError {
  declare readonly code: 'ENOTREGULAR';
  constructor(readonly file: string) {
    super('ENOTREGULAR', `${file} is not a regular file`);
  }
}

/**
 * The file at the path is not the one a caller checked earlier (another inode took its name),
 * so nothing was written. Code `EFILEREPLACED`.
 */
export class FileReplacedError extends SessionKeeperError {
  declare readonly code: 'EFILEREPLACED';
  constructor(readonly file: string) {
    super('EFILEREPLACED', `${file} was replaced after it was checked; nothing appended`);
  }
}

/** A symbolic link where an operation works only on the file itself (repair). Code `ESYMLINK`. */
export class SymlinkRefusedError extends SessionKeeperError {
  declare readonly code: 'ESYMLINK';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super('ESYMLINK', message);
  }
}
