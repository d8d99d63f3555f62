import { failureKind } from '../fptr/client/failure-kind';
import type { PollerStatus } from '../fptr/events/event-log-poller';
import type { Messages } from './i18n';
import { dot, type Badge } from './status';

/** A read or an acknowledgement taking longer than this shows in the badge. */
export const SLOW_MS = 5000;

function ring(fill: Badge['fill'], text: string): Badge {
  return { fill, shape: 'ring', text };
}

/** `3s`, `4m`, `2h`, `3d`: short enough for a badge in any language. */
export function shortAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** The badge of an fptr-events-in node: cursor, lag and gaps, or what stops it. */
export function eventLogBadge(s: PollerStatus, t: Messages, now = Date.now()): Badge {
  const high = s.high;
  if (s.phase === 'held') return ring('red', t('status.held', { id: s.heldAt ?? high }));
  if (s.phase === 'paused') return ring('grey', t('status.paused', { high }));
  if (s.phase === 'site-error') {
    const failure = failureKind(s.error);
    const reason =
      failure.kind === 'http'
        ? t.shared('status.failed-http', { status: failure.status })
        : t.shared(`status.failed-${failure.kind}`);
    return ring('red', t('status.site-error', { reason, high }));
  }
  if (s.readingSince !== undefined && now - s.readingSince > SLOW_MS) {
    return ring('yellow', t('status.slow-site', { age: shortAge(now - s.readingSince), high }));
  }
  if (s.phase === 'starting') return ring('blue', t.key('status.starting'));
  if (s.waiting && now - s.waiting.since > SLOW_MS) {
    return dot('yellow', t('status.waiting-ack', { id: s.waiting.id, age: shortAge(now - s.waiting.since), high }));
  }
  const lag = s.lagMs === undefined ? '–' : shortAge(s.lagMs);
  return dot(s.phase === 'caught-up' ? 'green' : 'blue', t('status.cursor', { high, lag, gaps: s.gaps }));
}
