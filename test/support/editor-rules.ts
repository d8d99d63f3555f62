import fc = require('fast-check');
import { publicUrlSetting, watchIntervalSeconds } from '../../lib/fptr/webhook/hook-settings';
import { apiRequest } from '../../lib/fptr/actions/api-request';
import { sweepSetting, SWEEP_DEFAULTS, UNACKED_DEFAULTS } from '../../lib/fptr/actions/redeliver-sweep';
import { coalesceWindow } from '../../lib/fptr/bulk/coalesce-window';
import { FptrClient } from '../../lib/fptr/client/client';
import { siteClientOptions, type SiteSettings } from '../../lib/fptr/client/site-settings';
import { compileConditions } from '../../lib/fptr/events/conditions';
import { parseEventLogSettings, type RawEventLogSettings } from '../../lib/fptr/events/event-log-settings';
import { conditionsFromSettings, type FilterSettings } from '../../lib/fptr/events/filter-settings';
import { parseMultipartAbove, parsePartSize } from '../../lib/fptr/files/transfer-settings';
import { endpointSettings, type EndpointConfig } from '../../lib/fptr/webhook/endpoint-settings';
import { sharedStateProblem } from '../../lib/state/open-state';

/*
 * Every setting whose editor validator comes from the shared rules (lib/editor), with what the
 * runtime does with the same value: test/unit/editor/rules.spec.ts holds the bundle to it, and
 * the browser test each node's `defaults.<property>.validate` as the editor really calls it.
 */

export interface SharedRule {
  type: string;
  property: string;
  /** Other settings of the node the validator reads (`this.trustProxy`). */
  node?: Record<string, unknown>;
  /** The bundle's validator: its path below `FptrEditor`. */
  bundle: [string, string];
  /** Whether a deploy accepts the value (with every other setting usable). */
  runtime(value: unknown): boolean;
  /** Values worth naming, the known drift cases among them. */
  cases: unknown[];
  /** Values the property test draws. */
  arbitrary: fc.Arbitrary<unknown>;
}

/** The webhook node's settings problem for `config` over an otherwise usable node. */
function webhookProblem(config: EndpointConfig): string | undefined {
  const result = endpointSettings({ url: '/fptr/hook', ...config }, {});
  return result.ok ? undefined : result.problem.key;
}

/** Whether the fptr-site node gets a client for these settings over otherwise usable ones. */
function siteAccepts(settings: SiteSettings): boolean {
  try {
    const client = new FptrClient(
      siteClientOptions({
        url: 'https://studio.example',
        authType: 'script',
        scriptName: 'a',
        scriptKey: 'b',
        ...settings,
      }),
    );
    void client.close();
    return true;
  } catch {
    return false;
  }
}

/** Whether the event filter compiles these settings. */
function filterAccepts(settings: FilterSettings): boolean {
  try {
    compileConditions(conditionsFromSettings(settings, () => undefined));
    return true;
  } catch {
    return false;
  }
}

/** Whether an fptr-events-in node starts with these settings over otherwise usable ones. */
function eventsInAccepts(settings: RawEventLogSettings): boolean {
  try {
    parseEventLogSettings(settings);
    return true;
  } catch {
    return false;
  }
}

/** Whether `rule` takes the value without throwing. */
function takes(rule: (value: unknown) => unknown): (value: unknown) => boolean {
  return (value) => {
    try {
      rule(value);
      return true;
    } catch {
      return false;
    }
  };
}

const text = (chars: string, maxLength = 16): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...chars), maxLength });
const numberish = fc.oneof(
  fc.integer({ min: -5, max: 5000 }),
  fc.double({ noNaN: true, min: -10, max: 4000 }),
  text('0123456789.-+ e', 8),
);
const addressText = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 140 })).map(([ip, n]) => `${ip}/${n}`),
  text('0123456789abcdef:./%x ', 24),
);

export const SHARED_RULES: SharedRule[] = [
  {
    type: 'fptr-webhook-in',
    property: 'url',
    bundle: ['webhook', 'path'],
    runtime: (v) => webhookProblem({ url: v }) !== 'invalid-path',
    cases: [
      '/fptr/hook',
      'fptr/hook',
      '/',
      '/a/../b',
      '/./x',
      '/x/.',
      '/a:b',
      '/a*',
      '/hook?x',
      ' /x ',
      '/ü',
      '/a b',
      '//x',
      '/a/..b',
      '',
    ],
    arbitrary: text('/.:*?abc ~_-', 12),
  },
  {
    type: 'fptr-webhook-in',
    property: 'maxBodySize',
    bundle: ['webhook', 'maxBodySize'],
    runtime: (v) => webhookProblem({ maxBodySize: v }) !== 'invalid-size',
    cases: ['', '5mb', '0', '0kb', '1.5kb', '10 MB', 'abc', '-1', '1tb', ' 2mb ', '512'],
    arbitrary: text('0123456789. kmgbKMGBt-', 8),
  },
  {
    type: 'fptr-webhook-in',
    property: 'dedupWindow',
    bundle: ['webhook', 'dedupWindow'],
    runtime: (v) => webhookProblem({ dedupWindow: v }) !== 'invalid-dedup-window',
    cases: [600, '600', '0', 0, '', '-1', '1.5', 'abc', ' 30 ', '9'.repeat(20)],
    arbitrary: numberish,
  },
  {
    type: 'fptr-webhook-in',
    property: 'allowList',
    bundle: ['webhook', 'addresses'],
    runtime: (v) => webhookProblem({ allowList: v }) !== 'invalid-allow-list',
    cases: [
      [],
      ['10.0.0.0/8', '2001:db8::/32'],
      [':::'],
      ['1:2:3'],
      ['fe80::1%eth0'],
      ['fe80::1%'],
      ['::ffff:10.0.0.0/104'],
      ['10.0.0.0/33'],
      ['2001:db8::/129'],
      ['1.2.3.4/01'],
      ['1.2.3.4/'],
      ['/8'],
      ['', '  '],
      ['10.0.0.1', 'bad'],
    ],
    arbitrary: fc.array(addressText, { maxLength: 3 }),
  },
  {
    type: 'fptr-webhook-in',
    property: 'proxies',
    node: { trustProxy: true },
    bundle: ['webhook', 'addresses'],
    runtime: (v) => webhookProblem({ trustProxy: true, proxies: v }) !== 'invalid-proxies',
    cases: ['', '127.0.0.1', '10.0.0.0/8, ::1', ':::', '1:2:3', 'fe80::1%eth0', 'a b', '10.0.0.0/8,,'],
    arbitrary: fc.array(addressText, { maxLength: 3 }).map((list) => list.join(', ')),
  },
  {
    type: 'fptr-webhook-in',
    property: 'watchInterval',
    bundle: ['webhook', 'watchInterval'],
    runtime: (v) => watchIntervalSeconds(v) !== undefined,
    cases: ['', 300, '300', '1', '0', '-1', '1.5', 'abc', ' 60 '],
    arbitrary: numberish,
  },
  {
    type: 'fptr-webhook-in',
    property: 'publicUrl',
    bundle: ['webhook', 'publicUrl'],
    runtime: (v) => publicUrlSetting(v),
    cases: [
      '',
      'https://nodered.example.com',
      'http://127.0.0.1:1880/base',
      'nodered.example.com',
      'ftp://x',
      'https://',
    ],
    arbitrary: text('htps:/.examl', 20),
  },
  {
    type: 'fptr-site',
    property: 'url',
    bundle: ['site', 'url'],
    runtime: (v) => siteAccepts({ url: v }),
    cases: [
      'https://studio.shotgrid.autodesk.com',
      'http://127.0.0.1:8090',
      'ftp://x',
      'https://u:p@x',
      'x.com',
      'https://',
      'https:// x',
      ' https://x ',
      'http://[::1]:80/api',
      '',
    ],
    arbitrary: fc.oneof(fc.webUrl({ withQueryParameters: true }), text('htps:/@x.1[]: ', 20)),
  },
  {
    type: 'fptr-site',
    property: 'redisUrl',
    bundle: ['sharedState', 'redisUrl'],
    runtime: (v) => sharedStateProblem({ redisUrl: v as string }) === undefined,
    cases: [
      '',
      'redis://127.0.0.1:6379',
      'rediss://cache.example:6380/2',
      'redis://user@host',
      'redis://:secret@host',
      'redis://user:secret@host',
      'redis://host:0',
      'redis://host:65536',
      'redis://host/x',
      'redis://[::1]:6379',
      'redis://',
      'redis://host?x=1',
      'http://host',
      ' redis://host ',
      'redis://ho st',
      'redis://.host',
    ],
    arbitrary: fc.oneof(
      fc
        .tuple(fc.constantFrom('redis://', 'rediss://', 'http://', ''), text('ab.-:@/[]1 0', 16))
        .map(([a, b]) => a + b),
      text('redis:/@x.1[]: ', 20),
    ),
  },
  {
    type: 'fptr-site',
    property: 'redisPrefix',
    node: { redisUrl: 'redis://127.0.0.1' },
    bundle: ['sharedState', 'redisPrefix'],
    runtime: (v) => sharedStateProblem({ redisUrl: 'redis://127.0.0.1', redisPrefix: v as string }) === undefined,
    cases: ['', 'fptr:', 'studio-a:', 'a b', 'x'.repeat(100), 'x'.repeat(101), 'ü:', '\t'],
    arbitrary: fc.string({ maxLength: 120 }),
  },
  ...(['maxConcurrency', 'timeout', 'maxRetries', 'deadline'] as const).map((property): SharedRule => ({
    type: 'fptr-site',
    property,
    bundle: ['site', property],
    runtime: (v) => siteAccepts({ [property]: v }),
    cases: [
      '',
      8,
      '8',
      '0',
      '1',
      '10',
      '11',
      '64',
      '65',
      '600',
      '600.5',
      '0.5',
      '3600',
      '3601',
      '-1',
      '1.5',
      'abc',
      '  ',
    ],
    arbitrary: numberish,
  })),
  ...(['projectIds', 'ignoreScriptIds', 'ignoreUserIds'] as const).map((property): SharedRule => ({
    type: 'fptr-event-filter',
    property,
    bundle: ['eventFilter', property],
    runtime: (v) => filterAccepts({ [property]: v }),
    cases: ['', '70', '70, 71', '1 2,3', '-5', '1e3', '0x10', 'abc', '1.5', ',,'],
    arbitrary: text('0123456789 ,.-ex', 12),
  })),
  {
    type: 'fptr-event-filter',
    property: 'matchEvents',
    bundle: ['eventFilter', 'matchEvents'],
    runtime: (v) => filterAccepts({ matchEvents: v as string }),
    cases: [
      '',
      "{'Shotgun_Task_Change': ['sg_status_list']}",
      '{"Shotgun_Task_New": null}',
      "{'Shotgun_Task_Change': []}",
      "{'__proto__': None}",
      '[1]',
      '{',
      "{'A': 'x',}",
      "{'A': ('a', 'b')}",
    ],
    arbitrary: text('{}[]()\'",: ANoe_*#', 24),
  },
  {
    type: 'fptr-events-in',
    property: 'startId',
    node: { start: 'id' },
    bundle: ['eventsIn', 'startId'],
    runtime: (v) => eventsInAccepts({ start: 'id', startId: v }),
    cases: ['', '0', 0, '812000', ' 5 ', '-1', '1.5', '1e3', 'abc', '9007199254740992'],
    arbitrary: numberish,
  },
  {
    type: 'fptr-events-in',
    property: 'since',
    node: { start: 'since' },
    bundle: ['eventsIn', 'since'],
    runtime: (v) => eventsInAccepts({ start: 'since', since: v }),
    cases: [
      '',
      '2024-05-02',
      '2024-05-02T10:00:00Z',
      '2024-05-02T10:00Z',
      '2024-05-02T10:00:00.123+02:00',
      '2024-05-02 10:00:00',
      '2024-13-45T99:00:00Z',
      'May 2, 2024',
      '1',
      ' 2024-05-02T10:00:00Z ',
    ],
    arbitrary: text('0123456789-:TZ+. ', 26),
  },
  {
    type: 'fptr-events-in',
    property: 'backstopGrace',
    node: { backstopFor: 'webhook-node' },
    bundle: ['eventsIn', 'backstopGrace'],
    runtime: (v) => eventsInAccepts({ backstopFor: 'webhook-node', backstopGrace: v }),
    cases: ['', 120, '120', '0', '0.5', '-1', '86400', '86401', 'abc', ' 2 '],
    arbitrary: numberish,
  },
  ...(['interval', 'pageSize', 'gapWindow', 'maxInFlight', 'retries'] as const).map((property): SharedRule => ({
    type: 'fptr-events-in',
    property,
    bundle: ['eventsIn', property],
    runtime: (v) => eventsInAccepts({ [property]: v }),
    cases: [
      '',
      5,
      '5',
      '0',
      '0.05',
      '0.01',
      '1',
      '100',
      '101',
      '1000',
      '1001',
      '5000',
      '5001',
      '86400',
      '86401',
      '-1',
      '1.5',
      'abc',
    ],
    arbitrary: numberish,
  })),
  {
    type: 'fptr-events-in',
    property: 'eventTypes',
    bundle: ['eventsIn', 'eventTypes'],
    runtime: (v) => eventsInAccepts({ eventTypes: v }),
    cases: [[], ['Shotgun_Task_*'], ['*'], [''], ['  '], [3], 'Shotgun_Task_Change'],
    arbitrary: fc.array(fc.oneof(text('Shotgun_Task*_ ', 12), fc.integer()), { maxLength: 3 }),
  },
  {
    type: 'fptr-events-in',
    property: 'projects',
    bundle: ['eventsIn', 'projects'],
    runtime: (v) => eventsInAccepts({ projects: v }),
    cases: [[], [122], ['122'], [' 7 '], [0], ['-1'], ['1.5'], ['1e3'], ['abc'], ['']],
    arbitrary: fc.array(fc.oneof(numberish, fc.constant('')), { maxLength: 3 }),
  },
  {
    type: 'fptr-events-in',
    property: 'entityTypes',
    bundle: ['eventsIn', 'entityTypes'],
    runtime: (v) => eventsInAccepts({ entityTypes: v }),
    cases: [[], ['Task'], ['CustomEntity01'], ['Task; drop'], ['1Task'], [''], ['_Task']],
    arbitrary: fc.array(text('Task_1 ;', 8), { maxLength: 3 }),
  },
  {
    type: 'fptr-upload',
    property: 'multipartAbove',
    node: { multipartAboveType: 'num' },
    bundle: ['files', 'multipartAbove'],
    runtime: takes((v) => parseMultipartAbove(v, 'Parts above')),
    cases: ['100', 100, '0', '-1', '0.5', '', 'abc', ' 8 ', '1e3'],
    arbitrary: numberish,
  },
  {
    type: 'fptr-upload',
    property: 'partSize',
    node: { partSizeType: 'num' },
    bundle: ['files', 'partSize'],
    runtime: takes((v) => parsePartSize(v, 'Part size')),
    cases: ['8', 8, '5', '4.99', '5120', '5121', '0', '', 'abc', '-8'],
    arbitrary: numberish,
  },
  {
    type: 'fptr-request',
    property: 'path',
    node: { pathType: 'str' },
    bundle: ['request', 'path'],
    runtime: takes((v) => apiRequest({ method: 'GET', path: v, query: undefined, body: undefined })),
    cases: [
      '',
      '/schema/Shot/fields',
      'entity/shots',
      '/api/v1/entity/shots',
      'https://x/api/v1',
      '//x',
      '/a/../b',
      '/a//b',
      '/auth/access_token',
      '/a b',
      '/a?b=1',
      '/%2e%2e/x',
    ],
    arbitrary: text('/.%2eafhtps:?# ', 16),
  },
  ...(['windowValue', 'concurrency'] as const).map((property): SharedRule => ({
    type: 'fptr-redeliver',
    property,
    bundle: ['redeliver', property],
    runtime: (v) => sweepSetting(v, SWEEP_DEFAULTS[property]) !== undefined,
    cases: ['', 60, '60', '0', '-1', '1.5', 'abc', 1, ' 2 '],
    arbitrary: numberish,
  })),
  {
    type: 'fptr-redeliver',
    property: 'unackedGrace',
    bundle: ['redeliver', 'unackedGrace'],
    runtime: (v) => sweepSetting(v, UNACKED_DEFAULTS.graceSeconds) !== undefined,
    cases: ['', 300, '300', '0', '-1', '1.5', 'abc', 1, ' 2 '],
    arbitrary: numberish,
  },
  ...(['fptr-find', 'fptr-update'] as const).map((type): SharedRule => ({
    type,
    property: 'coalesce',
    bundle: [type === 'fptr-find' ? 'find' : 'update', 'coalesce'],
    runtime: (v) => coalesceWindow(v) !== undefined,
    cases: ['', 5, '5', 0, '0', '1000', '1001', '-1', '2.5', 'abc', ' 7 ', null],
    arbitrary: numberish,
  })),
];
