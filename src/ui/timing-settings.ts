// The extension's timing settings as record values: whole milliseconds within the format's
// limits, ordered as every reader judges them. No vscode import, so unit tests run it under Node.
import { LIMITS } from '../core/session-record';

/** Timing values of the extension's settings, in ms, as written into this window's record. */
export interface TimingSettingsMs {
  heartbeatIntervalMs: number;
  /** undefined (staleAfterSeconds 0) leaves unresponsiveAfterMs out: readers use three intervals. */
  unresponsiveAfterMs: number | undefined;
  expireAfterMs: number;
  staleGraceMs: number;
}

function finiteAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(min, value) : fallback;
}

function clampMs(ms: number): number {
  return Math.min(LIMITS.maxThresholdMs, Math.max(LIMITS.minThresholdMs, Math.round(ms)));
}

/** The timing settings as configured (seconds, hours, minutes; anything a user may type). */
export interface RawTimingSettings {
  heartbeatIntervalSeconds: unknown;
  staleAfterSeconds: unknown;
  expireAfterHours: unknown;
  staleGraceMinutes: unknown;
}

/**
 * The timing settings as whole milliseconds a record can hold, ordered like every reader judges
 * them (docs/format.md, "Thresholds"): interval ≤ unresponsive ≤ expiry. A value out of range,
 * fractional or contradictory is clamped, never passed on to fail at each heartbeat.
 */
export function timingSettings(raw: RawTimingSettings): TimingSettingsMs {
  const heartbeatSeconds = finiteAtLeast(raw.heartbeatIntervalSeconds, 1, 10);
  const staleSeconds = finiteAtLeast(raw.staleAfterSeconds, 0, 30);
  const expireHours = finiteAtLeast(raw.expireAfterHours, 0.05, 24);
  const graceMinutes = finiteAtLeast(raw.staleGraceMinutes, 0, 10);
  const heartbeatIntervalMs = Math.min(LIMITS.maxHeartbeatIntervalMs, Math.max(LIMITS.minHeartbeatIntervalMs, Math.round(heartbeatSeconds * 1000)));
  // 0 leaves it out: readers then use three intervals.
  const unresponsiveAfterMs = staleSeconds === 0 ? undefined : Math.max(heartbeatIntervalMs, clampMs(staleSeconds * 1000));
  const expireAfterMs = Math.max(unresponsiveAfterMs ?? 3 * heartbeatIntervalMs, clampMs(expireHours * 3600 * 1000));
  return { heartbeatIntervalMs, unresponsiveAfterMs, expireAfterMs, staleGraceMs: Math.min(LIMITS.maxThresholdMs, Math.round(graceMinutes * 60 * 1000)) };
}

