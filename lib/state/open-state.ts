import crypto = require('node:crypto');
import os = require('node:os');
import { LocalState } from './local-state';
import { RedisState } from './redis-state';
import { redisPrefix, redisPrefixProblem, redisUrlProblem } from './redis-settings';
import type { SharedState } from './shared-state';
import { UnavailableState } from './unavailable-state';

/** The shared-state settings of an fptr-site (public names: acceptance tools set them). */
export interface SharedStateSettings {
  /** redis:// or rediss://; empty = no shared state. */
  redisUrl?: string;
  /** Credential. */
  redisPassword?: string;
  redisPrefix?: string;
}

export interface OpenedState {
  state: SharedState;
  /** Unusable settings, in plain words without secrets: the state then stays unavailable. */
  problem?: string;
}

/** Who this process is among the instances sharing a Redis server: host, pid and a random part. */
export const INSTANCE_ID = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

/**
 * The shared state a site's settings ask for: in memory when no Redis URL is set (one instance,
 * as without this feature), Redis otherwise. Settings that cannot work give a state that is
 * always unavailable, so the nodes fall back to local behaviour and show why, instead of
 * quietly running unshared beside the other instances.
 */
export function openSharedState(settings: SharedStateSettings): OpenedState {
  const url = settings.redisUrl?.trim() ?? '';
  if (url === '') return { state: new LocalState() };
  const problem = sharedStateProblem(settings);
  if (problem !== undefined) return { state: new UnavailableState(problem), problem };
  return {
    state: new RedisState({
      url,
      password: settings.redisPassword || undefined,
      prefix: redisPrefix(settings.redisPrefix),
      instanceId: INSTANCE_ID,
    }),
  };
}

/** Why these settings cannot give shared state, or undefined (also when it is off): what a deploy checks. */
export function sharedStateProblem(settings: SharedStateSettings): string | undefined {
  if (!settings.redisUrl?.trim()) return undefined;
  return redisUrlProblem(settings.redisUrl) ?? redisPrefixProblem(settings.redisPrefix);
}
