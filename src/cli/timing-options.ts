// Options of \`register\` and \`run\` that set a new session's thresholds and the grace of the
// cleanup they start. All in milliseconds, like --interval.
import { DEFAULT_HEARTBEAT_INTERVAL_MS, LIMITS, thresholdOrderProblem } from '../core/session-record';
import { intOption, type OptionSpec, type ParsedCommand } from './args';
import { UsageError } from './context';

export const TIMING_OPTIONS: OptionSpec = {
  interval: { type: 'string' },
  'unresponsive-after': { type: 'string' },
  'expire-after': { type: 'string' },
  grace: { type: 'string' },
};

/** The option names that take a value, as typed (for \`run\`'s split before the command). */
export const TIMING_VALUE_FLAGS = Object.keys(TIMING_OPTIONS).map((name) => `--${name}`);

export interface TimingValues {
  heartbeatIntervalMs?: number;
  unresponsiveAfterMs?: number;
  expireAfterMs?: number;
  /** Grace of the cleanup after create (StoreOptions.staleGraceMs). */
  staleGraceMs?: number;
}

/**
 * Reads the timing options; a value out of range is a UsageError naming the option and its
 * range, and so are thresholds that contradict each other: --interval ≤ --unresponsive-after ≤
 * --expire-after must hold (absent ones taking their defaults: 10 s, 3 intervals, 24 h).
 */
export function timingOptions(command: string, values: ParsedCommand['values']): TimingValues {
  const out: TimingValues = {};
  const interval = intOption(command, values, 'interval', LIMITS.minHeartbeatIntervalMs, LIMITS.maxHeartbeatIntervalMs);
  const unresponsive = intOption(command, values, 'unresponsive-after', LIMITS.minThresholdMs, LIMITS.maxThresholdMs);
  const expire = intOption(command, values, 'expire-after', LIMITS.minThresholdMs, LIMITS.maxThresholdMs);
  const grace = intOption(command, values, 'grace', 0, LIMITS.maxThresholdMs);
  if (interval !== undefined) out.heartbeatIntervalMs = interval;
  if (unresponsive !== undefined) out.unresponsiveAfterMs = unresponsive;
  if (expire !== undefined) out.expireAfterMs = expire;
  if (grace !== undefined) out.staleGraceMs = grace;
  const problem = thresholdOrderProblem({ heartbeatIntervalMs: interval ?? DEFAULT_HEARTBEAT_INTERVAL_MS, unresponsiveAfterMs: unresponsive, expireAfterMs: expire });
  if (problem) {
    throw new UsageError(`${command}: ${problem}; a session must be allowed at least one heartbeat interval before it counts as unresponsive, and be unresponsive before it expires (--interval ≤ --unresponsive-after ≤ --expire-after)`, command);
  }
  return out;
}
