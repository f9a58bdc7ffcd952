// The extension's timing settings as record values: whole milliseconds within the format's
// limits, ordered as every reader judges them. No vscode import, so unit tests run it under Node.
import { DEFAULT_UNRESPONSIVE_AFTER_INTERVALS } from '../core/liveness';
import { LIMITS } from '../core/session-record';

/** Timing values of the extension's settings, in ms, as written into this window's record. */
export interface TimingSettingsMs {
  heartbeatIntervalMs: number;
  /** undefined (setting 0) leaves unresponsiveAfterMs out: readers use three intervals. */
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
  /** The setting `sessionKeeper.staleAfterSeconds` (its key is historical: it sets the unresponsive threshold). */
  unresponsiveAfterSeconds: unknown;
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
  const unresponsiveSeconds = finiteAtLeast(raw.unresponsiveAfterSeconds, 0, 30);
  const expireHours = finiteAtLeast(raw.expireAfterHours, 0.05, 24);
  const graceMinutes = finiteAtLeast(raw.staleGraceMinutes, 0, 10);
  const heartbeatIntervalMs = Math.min(LIMITS.maxHeartbeatIntervalMs, Math.max(LIMITS.minHeartbeatIntervalMs, Math.round(heartbeatSeconds * 1000)));
  // 0 leaves it out: readers then use three intervals.
  const unresponsiveAfterMs = unresponsiveSeconds === 0 ? undefined : Math.max(heartbeatIntervalMs, clampMs(unresponsiveSeconds * 1000));
  const expireAfterMs = Math.max(unresponsiveAfterMs ?? DEFAULT_UNRESPONSIVE_AFTER_INTERVALS * heartbeatIntervalMs, clampMs(expireHours * 3600 * 1000));
  return { heartbeatIntervalMs, unresponsiveAfterMs, expireAfterMs, staleGraceMs: Math.min(LIMITS.maxThresholdMs, Math.round(graceMinutes * 60 * 1000)) };
}

