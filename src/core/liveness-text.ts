// Why a session is in its state, as reason codes with their values (what liveness.ts returns) and
// the sentences they make ("no heartbeat for 3 min; process alive"). The CLI, logs and journals
// read the English; the VS Code UI words the same codes in the display language (Words, words.ts).
import { ENGLISH, wordedDuration, type Words } from './words';

/** Why a record's pid is not checked by this reader (pidCheckScope). */
export type ScopeReason =
  | { code: 'other-host'; host: string }
  | { code: 'no-pid-space-here' }
  | { code: 'other-boot' }
  | { code: 'other-pid-space'; recorded: string | null; here: string | null }
  | { code: 'other-pid-namespace' };

/** The last heartbeat: `ms` ago, or `ms` in the future when `future` (the writer's clock is ahead). */
export interface Beat {
  future: boolean;
  ms: number;
}

/**
 * Why judgeLiveness gave its state. Durations in ms; `scope` says why the process was not
 * checked (same host name, another PID space) where the sentence mentions it.
 */
export type LivenessReason =
  | { code: 'closed'; agoMs: number }
  | { code: 'zombie' | 'gone' | 'pid-reused'; pid: number }
  | { code: 'late-process-alive'; beat: Beat }
  | { code: 'skew-process-alive'; beat: Beat }
  | { code: 'fresh'; ageMs: number; scope?: ScopeReason }
  | { code: 'skew'; beat: Beat; scope?: ScopeReason }
  | { code: 'expired'; ageMs: number; expireAfterMs: number }
  | { code: 'clock-wrong'; beat: Beat; expireAfterMs: number }
  | { code: 'previous-boot' }
  | { code: 'late'; beat: Beat; process: 'alive' | 'not-checked'; scope?: ScopeReason };

/** "on host x", "other PID namespace", …: why a pid is not checked, in `l10n`'s words. */
export function scopeSentence(scope: ScopeReason, l10n: Words = ENGLISH): string {
  switch (scope.code) {
    case 'other-host':
      return l10n.t('on host {0}', scope.host);
    case 'no-pid-space-here':
      return l10n.t('other PID space (none known here)');
    case 'other-boot':
      return l10n.t('other boot of this host name (boot id differs)');
    case 'other-pid-space':
      return l10n.t('other PID space ({0} vs {1})', scope.recorded ?? l10n.t('none recorded'), scope.here ?? l10n.t('none here'));
    case 'other-pid-namespace':
      return l10n.t('other PID namespace');
  }
}

function beatSentence(beat: Beat, l10n: Words): string {
  return beat.future ? l10n.t('heartbeat {0} in the future', wordedDuration(beat.ms, l10n)) : l10n.t('no heartbeat for {0}', wordedDuration(beat.ms, l10n));
}

/** The sentence for a liveness reason (lower-case start, no final period), in `l10n`'s words. */
export function livenessSentence(reason: LivenessReason, l10n: Words = ENGLISH): string {
  const notChecked = (scope: ScopeReason): string => l10n.t('{0}, process not checked', scopeSentence(scope, l10n));
  switch (reason.code) {
    case 'closed':
      return l10n.t('closed {0} ago', wordedDuration(reason.agoMs, l10n));
    case 'zombie':
      return l10n.t('process {0} is a zombie (exited, not yet reaped by its parent)', reason.pid);
    case 'gone':
      return l10n.t('process {0} is gone', reason.pid);
    case 'pid-reused':
      return l10n.t('pid {0} now belongs to another process', reason.pid);
    case 'late-process-alive':
      return l10n.t('{0}; process alive', beatSentence(reason.beat, l10n));
    case 'skew-process-alive':
      return l10n.t('{0} (clock skew); process alive', beatSentence(reason.beat, l10n));
    case 'fresh': {
      const beat = l10n.t('heartbeat {0} ago', wordedDuration(reason.ageMs, l10n));
      return reason.scope ? l10n.t('{0}; {1}', beat, notChecked(reason.scope)) : beat;
    }
    case 'skew': {
      const beat = l10n.t('{0} (clock skew)', beatSentence(reason.beat, l10n));
      return reason.scope ? l10n.t('{0}; {1}', beat, notChecked(reason.scope)) : beat;
    }
    case 'expired':
      return l10n.t('no heartbeat for {0} (expires after {1})', wordedDuration(reason.ageMs, l10n), wordedDuration(reason.expireAfterMs, l10n));
    case 'clock-wrong':
      return l10n.t("{0}: the writer's clock is wrong (expires after {1})", beatSentence(reason.beat, l10n), wordedDuration(reason.expireAfterMs, l10n));
    case 'previous-boot':
      return l10n.t('from a previous boot of this host (boot id differs, last heartbeat before this boot)');
    case 'late': {
      const beat = reason.beat.future ? l10n.t("{0} (the writer's clock is ahead)", beatSentence(reason.beat, l10n)) : beatSentence(reason.beat, l10n);
      const where = reason.scope ? notChecked(reason.scope) : reason.process === 'alive' ? l10n.t('process alive') : l10n.t('process not checked');
      return l10n.t('{0}; {1}', beat, where);
    }
  }
}
