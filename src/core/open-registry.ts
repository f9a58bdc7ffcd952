// Opens the registry a location names: the sessions directory, or a Redis server.
import { DirectoryRegistry } from './directory-registry';
import { RedisRegistry, type RedisRegistryOptions } from './redis-registry';
import type { Registry } from './registry';
import { readPasswordFile, type RegistryChoice } from './registry-config';
import type { RegistryLocation } from './registry-location';

/** Options for either backend; the Redis-only ones (password, persistent, …) are ignored for a directory. */
export type OpenRegistryOptions = RedisRegistryOptions;

/**
 * Opens the registry at `location` (see parseRegistryLocation). A directory registry touches no
 * files until used. A Redis registry connects first: RegistryAuthError, RegistryTlsError, and
 * (unless `options.persistent`) RegistryUnavailableError.
 */
export async function openRegistryAt(location: RegistryLocation, options: OpenRegistryOptions = {}): Promise<Registry> {
  if (location.kind === 'directory') {
    const { password: _p, persistent: _q, onWarning: _w, onStatus: _s, ...store } = options;
    return new DirectoryRegistry(location.dir, store);
  }
  return RedisRegistry.open(location, options);
}

/**
 * Opens a registry chosen by chooseRegistry: the password comes from `options.password`, else
 * the choice's password file (RegistryPasswordFileError), else the URL.
 */
export async function openChosenRegistry(choice: RegistryChoice, options: OpenRegistryOptions = {}): Promise<Registry> {
  const password = options.password ?? (choice.passwordFile !== undefined ? readPasswordFile(choice.passwordFile) : undefined);
  return openRegistryAt(choice.location, { ...options, ...(password !== undefined ? { password } : {}) });
}
