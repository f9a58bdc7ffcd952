// A real redis-server for tests: started on 127.0.0.1 on a free port with its data in a temp
// folder, AOF on (fsync always, so a restart keeps every acknowledged write), stopped by stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RedisServerOptions {
  /** requirepass; none by default. */
  password?: string;
  /** appendonly (default true). */
  aof?: boolean;
  /** maxmemory-policy (default noeviction). */
  maxmemoryPolicy?: string;
  /** Serve TLS only, with a fresh self-signed certificate for `localhost` (made with openssl). */
  tls?: boolean;
}

export interface TestRedis {
  port: number;
  dir: string;
  /** redis://127.0.0.1:<port>/0 (rediss:// with `tls`; no password in it). */
  url: string;
  /** With `tls`: the self-signed certificate (PEM file). */
  certFile?: string;
  /** Stops the server (SIGTERM, then waits for its exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Kills it with SIGKILL (no shutdown save). */
  kill(): Promise<void>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, program)));
}

/**
 * Whether redis-server is installed. When it is not, installs Debian's redis-server and openssl
 * the way the browser tests get their packages (apt-get as root or password-less sudo; else the
 * script says what to install), so `npm ci && npm test` on a fresh machine runs these tests too.
 * Under CI (`CI` set) a missing server is an error, never a silent skip.
 */
export function haveRedisServer(): boolean {
  if (onPath('redis-server')) return true;
  const script = path.join(__dirname, '..', '..', '..', 'test', 'harness', 'install-debian-packages.sh');
  try {
    execFileSync('bash', [script, 'redis-server', 'openssl'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // Reported by the script on stderr; decided below.
  }
  if (onPath('redis-server')) return true;
  if (process.env.CI) throw new Error(`redis-server is not installed and could not be installed (${script}); the Redis tests cannot run`);
  return false;
}

const running = new Set<ChildProcess>();

/** Starts a server; resolves once it accepts connections. */
export async function startRedis(options: RedisServerOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-redis-'));
  let child: ChildProcess | null = null;
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (options.tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost'], {
      stdio: 'ignore',
    });
  }
  const args = [
    ...(options.tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certFile, '--tls-key-file', keyFile, '--tls-auth-clients', 'no']
      : ['--port', String(port)]),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', options.aof === false ? 'no' : 'yes',
    '--appendfsync', 'always',
    '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction',
    '--daemonize', 'no',
    '--logfile', '',
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
  ];
  const start = async (): Promise<void> => {
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    running.add(c);
    c.once('exit', () => running.delete(c));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 20_000);
      c.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  };
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    dir,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}/0`,
    ...(options.tls ? { certFile } : {}),
    start,
    stop: async () => {
      await stopWith('SIGTERM');
    },
    kill: () => stopWith('SIGKILL'),
  };
}

/** Stops every server still running and removes nothing else (data folders are in tmp). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all(
    [...running].map(async (c) => {
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    }),
  );
}
