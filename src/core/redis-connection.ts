// One connection to the registry's Redis server: connecting with bounded backoff, telling a
// server that is down from wrong credentials and from a failed TLS handshake, the server clock,
// scripts by hash, and the warnings about a server that may lose or evict sessions.
// The client library (@redis/client) is loaded on first use, from its own bundle
// (dist/redis-client.js), so only what talks to Redis carries it.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { RegistryAuthError, RegistryTlsError, RegistryUnavailableError } from './registry-errors';
import type { RedisLocation } from './registry-location';

/** Reconnection delays double from the first to the last (ms): bounded backoff. */
export const RECONNECT_MIN_MS = 100;
export const RECONNECT_MAX_MS = 5000;
/** How long one connection attempt may take (ms). */
export const CONNECT_TIMEOUT_MS = 5000;

type Reply = unknown;

/** @redis/client's class of error replies (loaded with the client): answers, not connection problems. */
let errorReplyClass: (abstract new (...args: never[]) => Error) | undefined;

/** The part of a @redis/client client this module uses. */
interface RawClient {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  duplicate(): RawClient;
  sendCommand(args: string[]): Promise<Reply>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: 'error' | 'ready' | 'end' | 'reconnecting', listener: (...args: unknown[]) => void): unknown;
  readonly isReady: boolean;
}

export interface ConnectionOptions {
  /**
   * Keep reconnecting for ever with bounded backoff (the extension, `run`, the MCP server).
   * When false (one-shot CLI commands, the default), a server that cannot be reached in the
   * first few attempts fails the open with RegistryUnavailableError.
   */
  persistent?: boolean;
  /** The password (from a password file, SecretStorage, or the URL). Never logged. */
  password?: string;
  /** Warnings about the server's settings (eviction, persistence). */
  onWarning?(message: string): void;
  /** Connection state changes of a persistent connection: an error while down, null once back. */
  onStatus?(problem: Error | null): void;
}

/** Attempts before a one-shot open gives up: 100 + 200 + 400 ms of waiting. */
const ONE_SHOT_ATTEMPTS = 4;

/**
 * @redis/client, loaded on first use. require(), not import(): bundled, it becomes a require of
 * dist/redis-client.js (a CommonJS file), whose named exports a dynamic import would not see.
 */
function loadClientLibrary(): typeof import('@redis/client') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@redis/client') as typeof import('@redis/client');
}

export class RedisConnection {
  private readonly shas = new Map<string, string>();
  /** Registries using this connection (see share()); the last close() closes it. */
  private users = 1;
  private everReady = false;
  private lastProblem: Error | null = null;

  private constructor(
    private readonly client: RawClient,
    readonly location: RedisLocation,
    private readonly options: ConnectionOptions,
  ) {}

  /**
   * Connects. Rejects with RegistryAuthError (wrong password or user), RegistryTlsError (TLS
   * handshake failed) or, unless `persistent`, RegistryUnavailableError. A persistent
   * connection whose server is down resolves anyway and keeps trying in the background:
   * commands meanwhile fail at once with RegistryUnavailableError.
   */
  static async open(location: RedisLocation, options: ConnectionOptions = {}): Promise<RedisConnection> {
    const { createClient, ErrorReply } = loadClientLibrary();
    errorReplyClass = ErrorReply;
    let connection: RedisConnection | null = null;
    // Auth and TLS failures do not heal by waiting: they stop the retries (and fail the open).
    let fatal: Error | null = null;
    const client = createClient({
      RESP: 2,
      socket: {
        host: location.host,
        port: location.port,
        connectTimeout: CONNECT_TIMEOUT_MS,
        // SNI takes host names only (RFC 6066); an address is checked against the certificate anyway.
        ...(location.tls ? { tls: true as const, ...(isIP(location.host) === 0 ? { servername: location.host } : {}) } : {}),
        reconnectStrategy: (retries: number, cause: Error) => {
          const err = classifyRedisError(cause, location, options.password);
          if (err instanceof RegistryAuthError || err instanceof RegistryTlsError) {
            fatal = err;
            return false;
          }
          if (!options.persistent && !connection?.everReady && retries + 1 >= ONE_SHOT_ATTEMPTS) return false;
          return Math.min(RECONNECT_MIN_MS * 2 ** retries, RECONNECT_MAX_MS);
        },
      },
      ...(location.username !== undefined ? { username: location.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      database: location.db,
      // Commands fail at once while disconnected instead of piling up: a heartbeat that waits
      // for a server that is down helps nobody, and the next one comes soon enough.
      disableOfflineQueue: true,
    }) as unknown as RawClient;
    connection = new RedisConnection(client, location, options);
    const conn = connection;
    client.on('error', (err) => {
      const problem = classifyRedisError(err, location, options.password);
      if (conn.everReady && conn.lastProblem === null) options.onStatus?.(problem);
      conn.lastProblem = problem;
    });
    client.on('ready', () => {
      const wasDown = conn.everReady && conn.lastProblem !== null;
      conn.everReady = true;
      conn.lastProblem = null;
      if (wasDown) options.onStatus?.(null);
      void conn.checkServerSettings();
    });
    const connecting = client.connect();
    try {
      if (options.persistent) {
        // Wait for the first attempt only; the client keeps trying on its own.
        await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, CONNECT_TIMEOUT_MS).unref())]);
        if (fatal) throw fatal;
      } else {
        await connecting;
      }
    } catch (err) {
      client.destroy();
      throw fatal ?? classifyRedisError(err, location, options.password);
    }
    connecting.catch(() => undefined);
    if (client.isReady) {
      // A server with a password accepts the connection of a client without one and refuses
      // its first command: find out now, not at the first heartbeat.
      try {
        await client.sendCommand(['PING']);
      } catch (err) {
        const problem = classifyRedisError(err, location, options.password);
        if (problem instanceof RegistryAuthError || !options.persistent) {
          client.destroy();
          throw problem;
        }
      }
    }
    return conn;
  }

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return this.client.isReady;
  }

  /** Sends one command; client errors become registry errors, error replies stay error replies. */
  async command(args: string[]): Promise<Reply> {
    try {
      return await this.client.sendCommand(args);
    } catch (err) {
      throw classifyRedisError(err, this.location, this.options.password);
    }
  }

  /** The server's clock in epoch ms (TIME). */
  async serverTime(): Promise<number> {
    const reply = (await this.command(['TIME'])) as [string, string];
    return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
  }

  /** Runs a script by its SHA-1, loading it when the server does not have it (after a restart). */
  async script(source: string, args: string[]): Promise<Reply> {
    let sha = this.shas.get(source);
    if (sha === undefined) {
      sha = createHash('sha1').update(source).digest('hex');
      this.shas.set(source, sha);
    }
    try {
      return await this.command(['EVALSHA', sha, '0', ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.command(['EVAL', source, '0', ...args]);
    }
  }

  /**
   * Subscribes `listener` to `channel` on a second connection (a subscribed connection can do
   * nothing else). `onReconnect` runs after each reconnection, when messages may have been
   * missed. Returns the unsubscribe function.
   */
  async subscribe(channel: string, listener: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    const sub = this.client.duplicate();
    let first = true;
    sub.on('error', () => undefined); // reported by the main connection
    sub.on('ready', () => {
      if (!first) onReconnect();
      first = false;
    });
    try {
      await sub.connect();
      await sub.subscribe(channel, listener);
    } catch (err) {
      sub.destroy();
      throw classifyRedisError(err, this.location, this.options.password);
    }
    return async () => {
      try {
        await sub.close();
      } catch {
        sub.destroy();
      }
    };
  }

  /**
   * The same connection for one more user (a registry reopened with other options): close()
   * then closes it only when every user has. Connection options stay those of the open.
   */
  share(): RedisConnection {
    this.users++;
    return this;
  }

  /** Closes the connection once its last user closes it (see share()). */
  async close(): Promise<void> {
    if (--this.users > 0) return;
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }

  /**
   * Warns when the server may lose sessions: an eviction policy other than noeviction (keys
   * dropped under memory pressure) or no AOF persistence (a restart loses what came after the
   * last snapshot). Reads INFO, which most ACL setups allow; says so when it cannot.
   */
  private async checkServerSettings(): Promise<void> {
    const warn = this.options.onWarning;
    if (!warn) return;
    try {
      const info = String(await this.command(['INFO', 'persistence']));
      const memory = String(await this.command(['INFO', 'memory']));
      const policy = /^maxmemory_policy:(\S+)/m.exec(memory)?.[1];
      if (policy !== undefined && policy !== 'noeviction') {
        warn(`registry ${this.location.display}: maxmemory-policy is ${policy}; Redis may evict sessions under memory pressure. Set maxmemory-policy noeviction (docs/redis.md).`);
      }
      if (/^aof_enabled:0/m.test(info)) {
        warn(`registry ${this.location.display}: AOF persistence is off; a Redis restart may lose recent sessions and journal entries. Set appendonly yes (docs/redis.md).`);
      }
    } catch (err) {
      warn(`registry ${this.location.display}: could not check the server's eviction and persistence settings: ${(err as Error).message}`);
    }
  }
}

/** Error codes of a TLS handshake that failed on the certificate or the protocol. */
const TLS_CODE_RE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)/;

/**
 * The registry error for what the client reported: RegistryAuthError for refused credentials
 * (WRONGPASS, NOAUTH, NOPERM), RegistryTlsError for a failed handshake, RegistryUnavailableError
 * for a server that cannot be reached; error replies of commands are returned unchanged. The
 * password, should a message ever quote it, is replaced by `***`.
 */
export function classifyRedisError(err: unknown, location: RedisLocation, password?: string): Error {
  if (err instanceof RegistryAuthError || err instanceof RegistryTlsError || err instanceof RegistryUnavailableError) return err;
  const scrub = (text: string): string => (password ? text.split(password).join('***') : text);
  // Something other than an Error thrown by the client: nothing to classify it by.
  if (!(err instanceof Error)) return new RegistryUnavailableError(location.display, scrub(String(err)), { cause: err });
  const e = err;
  const message = scrub(e.message || e.name);
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (/^(WRONGPASS|NOAUTH)\b/.test(e.message) || /invalid username-password/i.test(e.message)) {
    return new RegistryAuthError(location.display, message);
  }
  // Inside a script the server may put its own words before the code.
  // A script's key or channel outside the user's ACL patterns is refused without that code.
  if (/(^|\s)NOPERM\b/.test(e.message) || /^ERR The user executing the script can't access/.test(e.message)) return new RegistryAuthError(location.display, `the user may not do this: ${message}`);
  if (TLS_CODE_RE.test(code) || (location.tls && /TLS|SSL|certificate/i.test(e.message))) {
    return new RegistryTlsError(location.display, message);
  }
  // An answer of the server to a command (NOSCRIPT, a script's own error): not a connection problem.
  if (errorReplyClass !== undefined && e instanceof errorReplyClass) return e;
  // A TLS client talking to a plain port waits for an answer that never comes.
  const hint = location.tls && /timeout/i.test(message) ? '; with rediss://, check that the server speaks TLS on this port' : '';
  const why = `${code !== '' ? `${message} (${code})` : message}${hint}`;
  return new RegistryUnavailableError(location.display, why, { cause: err });
}
