import type { AckOutcome, AckResult } from '../fptr/events/event-log-poller';
import { readOwnPath } from '../util/own-property';

/**
 * How `fptr-acknowledge` commits a message an `fptr-events-in` node sent: no request to FPTR,
 * just a call to that node, found by the id in `msg.fptr.eventsNode`. Messages are cloned on
 * their way through a flow, so they carry only that id and the sending's ticket, never a handle.
 */

export interface EventLogCommitter {
  acknowledge(eventId: number, ticket: string, outcome: AckOutcome): AckResult;
}

/** Deployed fptr-events-in nodes by id, for this runtime. */
const committers = new Map<string, EventLogCommitter>();

/** Registers a node; the returned function removes it again (only if it is still the one registered). */
export function registerCommitter(nodeId: string, committer: EventLogCommitter): () => void {
  committers.set(nodeId, committer);
  return () => {
    if (committers.get(nodeId) === committer) committers.delete(nodeId);
  };
}

export interface EventLogRef {
  eventsNode: string;
  eventId: number;
  ticket: string;
}

/**
 * The event-log part of `msg.fptr` (own properties only): undefined for a message from anywhere
 * else, `incomplete` for one that says it comes from the event log but lost what commits it.
 */
export function eventLogRef(msg: unknown): EventLogRef | 'incomplete' | undefined {
  if (readOwnPath(msg, ['fptr', 'source']) !== 'event-log') return undefined;
  const eventsNode = readOwnPath(msg, ['fptr', 'eventsNode']);
  const eventId = readOwnPath(msg, ['fptr', 'eventId']);
  const ticket = readOwnPath(msg, ['fptr', 'ticket']);
  if (typeof eventsNode !== 'string' || typeof eventId !== 'number' || typeof ticket !== 'string') return 'incomplete';
  return { eventsNode, eventId, ticket };
}

/** `gone`: the node that sent it is not deployed any more (it sends the event again when it is). */
export function commitEventLog(ref: EventLogRef, outcome: AckOutcome): AckResult | 'gone' {
  const committer = committers.get(ref.eventsNode);
  return committer ? committer.acknowledge(ref.eventId, ref.ticket, outcome) : 'gone';
}
