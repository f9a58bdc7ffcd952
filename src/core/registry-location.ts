// What a registry location means: a directory path, a file: URL, or a Redis URL
// (`redis://[user[:password]@]host[:port][/db][?prefix=P]`, `rediss://` for TLS). No I/O.
import { fileURLToPath } from 'node:url';
import { joinAsOpened } from './lock-target';
import { UnsupportedRegistryError } from './registry-errors';

export const DEFAULT_REDIS_PORT = 6379;
/** Keys start with `<prefix>:`; several teams or users share one Redis with one prefix each. */
export const DEFAULT_REDIS_PREFIX = 'session-keeper';
/** A prefix is a short plain name: it is part of every key and of the ACL key patterns. */
const PREFIX_RE = /^[A-Za-z0-9._-]{1,100}$/;

export interface DirectoryLocation {
  kind: 'directory';
  /** Absolute path. */
  dir: string;
}

export interface RedisLocation {
  kind: 'redis';
  tls: boolean;
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** Database number (SELECT). */
  db: number;
  /** ACL user; undefined = the default user. */
  username?: string;
  /** From the URL itself (discouraged: it shows in `ps`); a password file is the better way. */
  password?: string;
  /** Key prefix (see DEFAULT_REDIS_PREFIX). */
  prefix: string;
  /** The URL without the password: what messages, logs and `list` show. */
  display: string;
}

export type RegistryLocation = DirectoryLocation | RedisLocation;

/**
 * Parses a registry location. `location`: a directory path (relative to `cwd`), a `file:` URL,
 * or a Redis URL as above (user and password percent-encoded). Throws UnsupportedRegistryError
 * for other schemes and malformed Redis URLs; the message never holds the password.
 */
export function parseRegistryLocation(location: string | URL, cwd: string = process.cwd()): RegistryLocation {
  if (location instanceof URL) return parseUrl(location, location.href);
  if (typeof location !== 'string' || location.length === 0) throw new UnsupportedRegistryError(String(location));
  // "C:\x" is a Windows path, not a URL with scheme "c"; a scheme needs two or more letters.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(location)?.[1];
  // Taken as open(2) takes it: `link/../sessions` is beside the link's target (see joinAsOpened).
  if (scheme === undefined) return { kind: 'directory', dir: joinAsOpened(cwd, location) };
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new UnsupportedRegistryError(redactUrl(location), 'not a valid URL');
  }
  return parseUrl(url, location);
}

function parseUrl(url: URL, original: string): RegistryLocation {
  const shown = redactUrl(original);
  const protocol = url.protocol.toLowerCase();
  if (protocol === 'file:') return { kind: 'directory', dir: fileURLToPath(url) };
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new UnsupportedRegistryError(shown);
  const bad = (why: string): never => {
    throw new UnsupportedRegistryError(shown, why);
  };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') bad('a Redis URL needs a host, e.g. redis://127.0.0.1:6379');
  const port = url.port === '' ? DEFAULT_REDIS_PORT : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,9}$/.test(dbText)) bad(`the path must be a database number, got ${JSON.stringify(dbText)}`);
  let prefix = DEFAULT_REDIS_PREFIX;
  for (const [key, value] of url.searchParams) {
    if (key !== 'prefix') bad(`unknown parameter ${JSON.stringify(key)} (only "prefix" is understood)`);
    if (!PREFIX_RE.test(value)) bad(`prefix must be 1 to 100 letters, digits, '.', '_' or '-', got ${JSON.stringify(value)}`);
    prefix = value;
  }
  if (url.hash !== '') bad('a Redis URL has no #fragment');
  const out: RedisLocation = {
    kind: 'redis',
    tls: protocol === 'rediss:',
    host,
    port,
    db: dbText === '' ? 0 : Number(dbText),
    prefix,
    display: '',
  };
  if (url.username !== '') out.username = decodeURIComponent(url.username);
  if (url.password !== '') out.password = decodeURIComponent(url.password);
  out.display = redisUrl(out, false);
  return out;
}

/**
 * The canonical URL of a Redis location; with `withPassword` false (the default) the password is
 * left out, so the result is safe to print and to pass on to child processes.
 */
export function redisUrl(loc: RedisLocation, withPassword = false): string {
  const user = loc.username !== undefined ? encodeURIComponent(loc.username) : '';
  const pass = withPassword && loc.password !== undefined ? `:${encodeURIComponent(loc.password)}` : '';
  const auth = user !== '' || pass !== '' ? `${user}${pass}@` : '';
  const host = loc.host.includes(':') ? `[${loc.host}]` : loc.host;
  const query = loc.prefix !== DEFAULT_REDIS_PREFIX ? `?prefix=${loc.prefix}` : '';
  return `${loc.tls ? 'rediss' : 'redis'}://${auth}${host}:${loc.port}/${loc.db}${query}`;
}

/**
 * `text` with the password of any `scheme://user:password@` in it replaced by `***`: for
 * locations that could not be parsed, which are still worth showing.
 */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@');
}

/** How a location is shown: the directory path, or the Redis URL without password. */
export function describeLocation(loc: RegistryLocation): string {
  return loc.kind === 'directory' ? loc.dir : loc.display;
}
