import fc from 'fast-check';
import should = require('should');
import { FptrSimulator } from '../../sim';
import { Consumer, HASH, SimHarness, errorOf, type ListBody, type OneBody } from '../support/sim';

const DEMO = FptrSimulator.DEMO;
const project = { type: 'Project', id: DEMO.projectId };
const DAEMON_FIELDS = [
  'id',
  'event_type',
  'attribute_name',
  'meta',
  'entity',
  'user',
  'project',
  'session_uuid',
  'created_at',
];
const LOG = 'event_log_entries';

type Row = ListBody['data'][number];

describe('fptr-sim: event log', () => {
  const h = new SimHarness();
  beforeEach(() => h.start());
  afterEach(() => h.stop());

  /** Every readable row with an id above `after`, read page by page like the event daemon. */
  async function readAll(after: number, size = 500): Promise<Row[]> {
    const rows: Row[] = [];
    for (let n = 1; ; n++) {
      const res = await h.search(LOG, {
        filters: [['id', 'greater_than', after]],
        fields: DAEMON_FIELDS,
        sort: 'id',
        page: { size, number: n },
      });
      should(res.status).eql(200);
      rows.push(...res.json.data);
      if (res.json.data.length < size) return rows;
    }
  }

  const ids = (rows: Row[]): number[] => rows.map((r) => r.id);
  const lastId = (): number => h.sim.eventLog().at(-1)?.id ?? 0;

  describe('rows each write makes', () => {
    it('create: one New (new_entity) plus one in_create Change per field set', async () => {
      const before = lastId();
      const res = await h.call<OneBody>('POST', '/api/v1/entity/Task', {
        body: {
          content: 'FX',
          project,
          sg_status_list: 'rdy',
          task_assignees: [{ type: 'HumanUser', id: DEMO.artistIds[0] }],
        },
      });
      should(res.status).eql(201);
      const taskId = res.json.data.id;
      const rows = await readAll(before);
      should(rows.map((r) => [r.attributes.event_type, r.attributes.attribute_name])).eql([
        ['Shotgun_Task_New', null],
        ['Shotgun_Task_Change', 'content'],
        ['Shotgun_Task_Change', 'project'],
        ['Shotgun_Task_Change', 'sg_status_list'],
        ['Shotgun_Task_Change', 'task_assignees'],
      ]);
      should(rows[0].attributes.meta).eql({ type: 'new_entity', entity_type: 'Task', entity_id: taskId });
      for (const row of rows.slice(1))
        should(row.attributes.meta).containEql({
          type: 'attribute_change',
          in_create: true,
          entity_type: 'Task',
          entity_id: taskId,
        });
      should(rows[3].attributes.meta).containEql({ old_value: null, new_value: 'rdy', field_data_type: 'status_list' });
      should(rows[4].attributes.meta).containEql({
        field_data_type: 'multi_entity',
        removed: [],
        added: [{ type: 'HumanUser', id: DEMO.artistIds[0], name: 'Alex Animator' }],
      });
      for (const row of rows) {
        should(row.relationships.entity.data).containEql({ type: 'Task', id: taskId });
        should(row.relationships.user.data).containEql({ type: 'ApiUser', id: DEMO.apiUserId });
        should(row.relationships.project.data).containEql(project);
        should(row.attributes.session_uuid).be.null();
        should(row.attributes.created_at).match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      }
    });

    it('update: one attribute_change per changed field, old/new values or added/removed links', async () => {
      const id = DEMO.taskIds['sh020/Comp'];
      const before = lastId();
      await h.call('PUT', `/api/v1/entity/Task/${id}`, {
        body: { sg_status_list: 'ip', sg_description: 'go', content: 'Comp' },
      });
      await h.call('PUT', `/api/v1/entity/Task/${id}`, {
        body: {
          task_assignees: { multi_entity_update_mode: 'add', value: [{ type: 'HumanUser', id: DEMO.humanUserId }] },
        },
      });
      const rows = await readAll(before);
      should(rows.map((r) => r.attributes.attribute_name)).eql(['sg_status_list', 'sg_description', 'task_assignees']);
      should(rows[0].attributes.meta).eql({
        type: 'attribute_change',
        attribute_name: 'sg_status_list',
        entity_type: 'Task',
        entity_id: id,
        field_data_type: 'status_list',
        old_value: 'wtg',
        new_value: 'ip',
      });
      should(rows[2].attributes.meta).eql({
        type: 'attribute_change',
        attribute_name: 'task_assignees',
        entity_type: 'Task',
        entity_id: id,
        field_data_type: 'multi_entity',
        added: [{ type: 'HumanUser', id: DEMO.humanUserId, name: 'Jane Doe' }],
        removed: [],
      });
      for (const r of rows) should(r.attributes.meta).not.have.property('in_create');
    });

    it('retire: a Retirement row without entity; earlier rows of the record lose their entity link while it is retired', async () => {
      const id = DEMO.shotIds.sh030;
      const before = lastId();
      await h.call('PUT', `/api/v1/entity/Shot/${id}`, { body: { description: 'soon gone' } });
      should((await readAll(before))[0].relationships.entity.data).containEql({ type: 'Shot', id });
      should((await h.call('DELETE', `/api/v1/entity/Shot/${id}`)).status).eql(204);
      const rows = await readAll(before);
      should(rows.map((r) => r.attributes.event_type)).eql(['Shotgun_Shot_Change', 'Shotgun_Shot_Retirement']);
      should(rows.map((r) => r.relationships.entity.data)).eql([null, null]);
      should(rows[0].attributes.meta).containEql({ entity_type: 'Shot', entity_id: id });
      should(rows[1].attributes.meta).containEql({
        type: 'entity_retirement',
        entity_type: 'Shot',
        entity_id: id,
        id,
        class_name: 'Shot',
        display_name: 'sh030',
      });
      should((rows[1].attributes.meta as { retirement_date: string }).retirement_date).match(
        /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/,
      );
      should(
        h.sim
          .eventLog()
          .slice(-2)
          .map((r) => r.entity),
      ).eql([null, null]);
      const byEntity = await h.search(LOG, { filters: [['entity', 'is', { type: 'Shot', id }]] });
      should(byEntity.json.data).have.length(0);

      should((await h.call('POST', `/api/v1/entity/Shot/${id}?revive=true`)).status).eql(200);
      const after = await readAll(before);
      should(after.map((r) => r.attributes.event_type)).eql([
        'Shotgun_Shot_Change',
        'Shotgun_Shot_Retirement',
        'Shotgun_Shot_Revival',
      ]);
      should(after[2].attributes.meta).containEql({ type: 'entity_revival', entity_type: 'Shot', entity_id: id });
      should(after.map((r) => (r.relationships.entity.data as { id: number } | null)?.id ?? null)).eql([id, null, id]);
    });
  });

  describe('REST read path', () => {
    let first = 0;
    let otherProject = 0;
    beforeEach(async () => {
      otherProject = h.sim.create('Project', { name: 'Other' }).id;
      first = lastId() + 1;
      const t = DEMO.taskIds;
      h.sim.update('Task', t['sh010/Comp'], { sg_status_list: 'rdy' });
      h.sim.update('Task', t['sh010/Comp'], { sg_status_list: 'ip' });
      h.sim.update('Shot', DEMO.shotIds.sh010, { description: 'v2' });
      h.sim.create('Asset', { code: 'prop', project: { type: 'Project', id: otherProject } });
      h.sim.update('Version', DEMO.versionIds[0], { sg_status_list: 'apr' });
    });

    const types = async (filters: unknown, contentType?: string): Promise<string[]> => {
      const res = await h.search(LOG, { filters, fields: ['event_type', 'attribute_name'], sort: 'id' }, contentType);
      should(res.status).eql(200);
      return res.json.data.map((r) => `${String(r.attributes.event_type)}:${String(r.attributes.attribute_name)}`);
    };

    it('filters on id: greater_than, less_than, between, in (array and hash forms)', async () => {
      should(await types([['id', 'greater_than', first + 4]])).eql([
        'Shotgun_Asset_Change:project',
        'Shotgun_Version_Change:sg_status_list',
      ]);
      should(
        await types([
          ['id', 'greater_than', first - 1],
          ['id', 'less_than', first + 1],
        ]),
      ).eql(['Shotgun_Task_Change:sg_status_list']);
      should(await types([['id', 'between', [first + 1, first + 2]]])).eql([
        'Shotgun_Task_Change:sg_status_list',
        'Shotgun_Shot_Change:description',
      ]);
      should(await types([['id', 'in', [first, first + 2]]])).eql([
        'Shotgun_Task_Change:sg_status_list',
        'Shotgun_Shot_Change:description',
      ]);
      should(
        await types(
          {
            logical_operator: 'or',
            conditions: [
              ['id', 'is', first],
              ['id', 'is', first + 6],
            ],
          },
          HASH,
        ),
      ).eql(['Shotgun_Task_Change:sg_status_list', 'Shotgun_Version_Change:sg_status_list']);
      should(
        await types(
          {
            logical_operator: 'and',
            conditions: [
              ['id', 'greater_than', first],
              ['id', 'less_than', first + 3],
            ],
          },
          HASH,
        ),
      ).eql(['Shotgun_Task_Change:sg_status_list', 'Shotgun_Shot_Change:description']);
    });

    it('filters on event_type: is, in, starts_with, ends_with, contains', async () => {
      const after = ['id', 'greater_than', first - 1];
      should(await types([after, ['event_type', 'is', 'Shotgun_Shot_Change']])).eql([
        'Shotgun_Shot_Change:description',
      ]);
      should(await types([after, ['event_type', 'in', ['Shotgun_Asset_New', 'Shotgun_Version_Change']]])).eql([
        'Shotgun_Asset_New:null',
        'Shotgun_Version_Change:sg_status_list',
      ]);
      should(await types([after, ['event_type', 'starts_with', 'Shotgun_Task_']])).have.length(2);
      should(await types([after, ['event_type', 'ends_with', '_New']])).eql(['Shotgun_Asset_New:null']);
      should(await types([after, ['event_type', 'contains', 'Asset']])).have.length(3);
    });

    it('filters on project (link, links, project.Project.id) and entity (link, type_is, entity.Task.id)', async () => {
      const after = ['id', 'greater_than', first - 1];
      const other = { type: 'Project', id: otherProject };
      should(await types([after, ['project', 'is', other]])).eql([
        'Shotgun_Asset_New:null',
        'Shotgun_Asset_Change:code',
        'Shotgun_Asset_Change:project',
      ]);
      should(await types([after, ['project', 'in', [project]]])).have.length(4);
      should(await types([after, ['project.Project.id', 'is', otherProject]])).have.length(3);
      should(await types([after, ['entity', 'is', { type: 'Task', id: DEMO.taskIds['sh010/Comp'] }]])).have.length(2);
      should(await types([after, ['entity', 'type_is', 'Version']])).eql(['Shotgun_Version_Change:sg_status_list']);
      should(await types([after, ['entity.Task.id', 'is', DEMO.taskIds['sh010/Comp']]])).have.length(2);
    });

    it('filters on created_at: greater_than, between, in_last', async () => {
      const after = ['id', 'greater_than', first - 1];
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      const inHour = new Date(Date.now() + 3_600_000).toISOString();
      should(await types([after, ['created_at', 'greater_than', hourAgo]])).have.length(7);
      should(await types([after, ['created_at', 'greater_than', inHour]])).have.length(0);
      should(await types([after, ['created_at', 'between', [hourAgo, inHour]]])).have.length(7);
      should(await types([after, ['created_at', 'in_last', [1, 'HOUR']]])).have.length(7);
    });

    it('refuses to filter or sort on meta (400), reads it as a field', async () => {
      const filtered = await h.search(LOG, { filters: [['meta', 'is', null]] });
      should(filtered.status).eql(400);
      should(errorOf(filtered)).containEql({ status: 400, code: 103 });
      should(errorOf(filtered).title).match(/EventLogEntry\.meta.*not filterable or sortable/);
      const sorted = await h.search(LOG, { filters: [], sort: '-meta' });
      should(sorted.status).eql(400);
      should(errorOf(sorted).title).match(/not filterable or sortable/);
      const read = await h.search(LOG, { filters: [['id', 'is', first]], fields: ['meta'] });
      should(read.json.data[0].attributes.meta).containEql({ new_value: 'rdy' });
    });

    it('answers the same at /entity/EventLogEntry, sorts by -id, returns the daemon fields', async () => {
      const res = await h.search('EventLogEntry', {
        filters: [['id', 'greater_than', first - 1]],
        fields: DAEMON_FIELDS,
        sort: '-id',
        page: { size: 3 },
      });
      should(res.status).eql(200);
      should(ids(res.json.data)).eql([first + 6, first + 5, first + 4]);
      const row = res.json.data[0];
      should(Object.keys(row.attributes).sort()).eql([
        'attribute_name',
        'created_at',
        'event_type',
        'meta',
        'session_uuid',
      ]);
      should(Object.keys(row.relationships).sort()).eql(['entity', 'project', 'user']);
      should(row.links.self).eql(`/api/v1/entity/event_log_entries/${first + 6}`);
    });

    it('pages up to 5000 rows; 5001 is refused', async () => {
      h.sim.generateEvents(5100);
      const big = await h.search(LOG, {
        filters: [['id', 'greater_than', first - 1]],
        fields: ['id'],
        page: { size: 5000 },
      });
      should(big.json.data).have.length(5000);
      should(ids(big.json.data)[0]).eql(first);
      const next = await h.search(LOG, {
        filters: [['id', 'greater_than', first - 1]],
        fields: ['id'],
        page: { size: 5000, number: 2 },
      });
      should(next.json.data).have.length(107);
      should(errorOf(await h.search(LOG, { filters: [], page: { size: 5001 } })).title).eql(
        'size must be less than 5000',
      );
    });
  });

  it('id conditions narrow where _search looks without changing what it finds (property)', async () => {
    h.sim.generateEvents(300, { seed: 2 });
    h.sim.eventLog.holdBack({ ids: [40, 41, 250], forMs: Infinity });
    const readable = h.sim
      .eventLog()
      .map((r) => r.id)
      .filter((id) => ![40, 41, 250].includes(id));
    const id = fc.integer({ min: -5, max: 310 });
    const cond = fc.oneof(
      fc
        .tuple(fc.constantFrom('greater_than', 'less_than', 'is', 'is_not'), id)
        .map(([rel, v]) => ['id', rel, v] as const),
      fc.tuple(id, id).map(([a, b]) => ['id', 'between', [a, b]] as const),
      fc
        .tuple(fc.constantFrom('in', 'not_in'), fc.array(id, { minLength: 1, maxLength: 4 }))
        .map(([rel, v]) => ['id', rel, v] as const),
    );
    const holds = (c: readonly [string, string, unknown], n: number): boolean => {
      const v = c[2];
      switch (c[1]) {
        case 'greater_than':
          return n > (v as number);
        case 'less_than':
          return n < (v as number);
        case 'is':
          return n === v;
        case 'is_not':
          return n !== v;
        case 'between':
          return n >= (v as number[])[0] && n <= (v as number[])[1];
        case 'in':
          return (v as number[]).includes(n);
        default:
          return !(v as number[]).includes(n);
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(cond, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('and', 'or'),
        fc.boolean(),
        async (conds, op, desc) => {
          const res = await h.search(
            LOG,
            {
              filters: { logical_operator: op, conditions: conds },
              fields: ['id'],
              sort: desc ? '-id' : 'id',
              page: { size: 5000 },
            },
            HASH,
          );
          should(res.status).eql(200);
          const want = readable.filter((n) =>
            op === 'and' ? conds.every((c) => holds(c, n)) : conds.some((c) => holds(c, n)),
          );
          should(ids(res.json.data)).eql(desc ? want.reverse() : want);
        },
      ),
      { numRuns: 60, seed: 20240502 },
    );
  });

  describe('out-of-order commits (hold back)', () => {
    it('hides a seeded share of new rows from reads; the same seed holds the same ids; released rows fill the gaps', async () => {
      const before = lastId();
      h.sim.eventLog.holdBack({ fraction: 0.03, foreverFraction: 0.01, forMs: 60_000, seed: 42 });
      const made = h.sim.generateEvents(2000, { seed: 3 });
      const held = h.sim.eventLog.held();
      should(held.length).be.within(20, 160);
      should(held.some((r) => r.until === null)).be.true();
      should(held.some((r) => r.until !== null)).be.true();
      const seen = ids(await readAll(before));
      should(seen).have.length(2000 - held.length);
      should(seen).eql(
        Array.from({ length: 2000 }, (_, i) => made.firstId + i).filter((id) => !held.some((r) => r.id === id)),
      );
      const one = held[0].id;
      should((await h.call('GET', `/api/v1/entity/event_log_entries/${one}`)).status).eql(404);
      should(h.sim.eventLog()).have.length(2000);

      const twin = new FptrSimulator();
      try {
        twin.eventLog.holdBack({ fraction: 0.03, foreverFraction: 0.01, forMs: 60_000, seed: 42 });
        twin.generateEvents(2000, { seed: 3 });
        const shape = (rows: typeof held): Array<[number, boolean]> => rows.map((r) => [r.id, r.until === null]);
        should(shape(twin.eventLog.held())).eql(shape(held));
      } finally {
        await twin.close();
      }

      const finite = held.filter((r) => r.until !== null).map((r) => r.id);
      should(h.sim.eventLog.release(finite)).eql(finite);
      const after = ids(await readAll(before));
      should(after).have.length(2000 - (held.length - finite.length));
      should(h.sim.eventLog.held().every((r) => r.until === null)).be.true();
    });

    it('rows held for a short time become readable on their own; rows held forever never do', async () => {
      const before = lastId();
      const first = h.sim.generateEvents(3).firstId;
      h.sim.eventLog.holdBack({ ids: [first + 3], forMs: 1 });
      h.sim.eventLog.holdBack({ ids: [first + 4], forMs: Infinity });
      h.sim.generateEvents(3);
      await new Promise((resolve) => setTimeout(resolve, 20));
      should(ids(await readAll(before))).eql([first, first + 1, first + 2, first + 3, first + 5]);
      should(h.sim.eventLog.held()).eql([{ id: first + 4, until: null }]);
    });

    it('stop() ends a rule; later rows are not held', () => {
      const rule = h.sim.eventLog.holdBack({ fraction: 1, forMs: 60_000 });
      h.sim.generateEvents(5);
      rule.stop();
      h.sim.generateEvents(5);
      should(h.sim.eventLog.held()).have.length(5);
      should(() => h.sim.eventLog.holdBack({ fraction: 1.5 })).throw(/between 0 and 1/);
    });
  });

  describe('retention and pruning', () => {
    it('leaves rows older than the retention out of reads', async () => {
      await h.stop();
      await h.start({ eventLogRetentionMs: 3_600_000 });
      const now = Date.now();
      const old = h.sim.generateEvents(10, { from: now - 3 * 3_600_000, to: now - 2 * 3_600_000 });
      const fresh = h.sim.generateEvents(5);
      const seen = ids(await readAll(0));
      should(seen).eql([fresh.firstId, fresh.firstId + 1, fresh.firstId + 2, fresh.firstId + 3, fresh.lastId]);
      should((await h.call('GET', `/api/v1/entity/event_log_entries/${old.firstId}`)).status).eql(404);
      should(h.sim.eventLog()).have.length(15);
    });

    it('pruneEventLog removes rows below an id or before a date', async () => {
      const now = Date.now();
      const old = h.sim.generateEvents(4, { from: now - 86_400_000, to: now - 86_000_000 });
      const mid = h.sim.generateEvents(4);
      h.sim.generateEvents(2);
      should(h.sim.pruneEventLog({ before: new Date(now - 3_600_000) })).eql(4);
      should(h.sim.pruneEventLog({ beforeId: mid.firstId + 2 })).eql(2);
      const seen = ids(await readAll(0));
      should(seen).have.length(4);
      should(seen[0]).eql(mid.firstId + 2);
      should((await h.call('GET', `/api/v1/entity/event_log_entries/${old.firstId}`)).status).eql(404);
      should(() => h.sim.pruneEventLog({})).throw(/beforeId or before/);
    });
  });

  describe('generateEvents', () => {
    it('writes 100,000 realistic rows that read back like any other, without deliveries', async () => {
      const consumer = new Consumer();
      await consumer.listen();
      try {
        h.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: [] } } });
        const made = h.sim.generateEvents(100_000, { seed: 9 });
        should(made).eql({ count: 100_000, firstId: 1, lastId: 100_000 });
        const rows = h.sim.eventLog();
        should(rows).have.length(100_000);
        const byType = new Map<string, number>();
        for (const r of rows) byType.set(r.event_type as string, (byType.get(r.event_type as string) ?? 0) + 1);
        should((byType.get('Shotgun_Task_Change') ?? 0) / 100_000).be.within(0.3, 0.6);
        for (const t of [
          'Shotgun_Shot_Change',
          'Shotgun_Asset_Change',
          'Shotgun_Version_Change',
          'Shotgun_Note_Change',
          'Shotgun_Task_New',
        ])
          should(byType.get(t)).be.above(0);
        const status = rows.filter(
          (r) => r.event_type === 'Shotgun_Task_Change' && r.attribute_name === 'sg_status_list',
        );
        should(status.length).be.above(20_000);
        const meta = status[0].meta as Record<string, unknown>;
        should(meta).containEql({ type: 'attribute_change', entity_type: 'Task', field_data_type: 'status_list' });
        should(meta.old_value).not.eql(meta.new_value);
        should(status[0].project).containEql(project);
        should(status[0].user).containEql({ type: 'HumanUser' });

        const res = await h.search(LOG, {
          filters: [
            ['id', 'greater_than', 99_990],
            ['event_type', 'starts_with', 'Shotgun_'],
          ],
          fields: DAEMON_FIELDS,
          sort: 'id',
        });
        should(ids(res.json.data)).eql([
          99_991, 99_992, 99_993, 99_994, 99_995, 99_996, 99_997, 99_998, 99_999, 100_000,
        ]);
        await h.sim.whenDeliveriesSettled();
        should(consumer.received).have.length(0);
      } finally {
        await consumer.close();
      }
    });

    it('follows types, projects, users and seed; delivers to webhooks when asked', async () => {
      const consumer = new Consumer();
      await consumer.listen();
      try {
        const hook = h.sim.createWebhook({ url: consumer.url, entity_types: { Shot: { update: [], create: [] } } });
        const alex = { type: 'HumanUser', id: DEMO.artistIds[0] };
        h.sim.generateEvents(20, {
          types: ['Shot'],
          projects: [DEMO.projectId],
          users: [alex],
          seed: 5,
          webhooks: true,
        });
        const rows = h.sim.eventLog();
        should(rows.every((r) => (r.event_type as string).startsWith('Shotgun_Shot_'))).be.true();
        should(rows.every((r) => (r.user as { id: number }).id === alex.id)).be.true();
        await h.sim.whenDeliveriesSettled();
        should(h.sim.deliveries(hook.id)).have.length(20);
        const twin = new FptrSimulator();
        try {
          twin.generateEvents(20, { types: ['Shot'], projects: [DEMO.projectId], users: [alex], seed: 5 });
          should(twin.eventLog().map((r) => [r.event_type, r.meta])).eql(rows.map((r) => [r.event_type, r.meta]));
        } finally {
          await twin.close();
        }
        should(() => h.sim.generateEvents(1, { projects: [999_999] })).throw(/no records/);
      } finally {
        await consumer.close();
      }
    });
  });

  describe('generate_event_log_entries (script users)', () => {
    it('a script with the flag off writes records but no event-log rows and no webhooks', async () => {
      const consumer = new Consumer();
      await consumer.listen();
      try {
        h.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: [] } } });
        const quiet = h.sim.addScript('quiet_tool', 'quiet-key', { generateEvents: false });
        const token = await h.tokenFor('quiet_tool', 'quiet-key');
        const id = DEMO.taskIds['sh030/Comp'];
        const before = h.sim.eventLog().length;
        const put = await h.call('PUT', `/api/v1/entity/Task/${id}`, { token, body: { sg_status_list: 'rdy' } });
        should(put.status).eql(200);
        should(h.sim.get('Task', id)?.sg_status_list).eql('rdy');
        const sudo = await h.tokenFor('quiet_tool', 'quiet-key', `sudo_as_login:${DEMO.login}`);
        should(
          (await h.call('PUT', `/api/v1/entity/Task/${id}`, { token: sudo, body: { sg_status_list: 'ip' } })).status,
        ).eql(200);
        await h.sim.whenDeliveriesSettled();
        should(h.sim.eventLog()).have.length(before);
        should(consumer.received).have.length(0);

        const flag = await h.call<OneBody>(
          'GET',
          `/api/v1/entity/api_users/${quiet.id}?fields=generate_event_log_entries`,
        );
        should(flag.json.data.attributes).eql({ generate_event_log_entries: false });
        const demo = await h.call<OneBody>(
          'GET',
          `/api/v1/entity/api_users/${DEMO.apiUserId}?fields=generate_event_log_entries`,
        );
        should(demo.json.data.attributes).eql({ generate_event_log_entries: true });

        should(
          (await h.call('PUT', `/api/v1/entity/api_users/${quiet.id}`, { body: { generate_event_log_entries: true } }))
            .status,
        ).eql(200);
        await h.call('PUT', `/api/v1/entity/Task/${id}`, { token, body: { sg_status_list: 'fin' } });
        await h.sim.whenDeliveriesSettled();
        should(h.sim.eventLog().at(-1)).containEql({
          event_type: 'Shotgun_Task_Change',
          user: { type: 'ApiUser', id: quiet.id, name: 'quiet_tool' },
        });
        should(consumer.received).have.length(1);
      } finally {
        await consumer.close();
      }
    });

    it('the demo script generates events; an ApiUser created over REST defaults to off', async () => {
      const before = h.sim.eventLog().length;
      should(
        (await h.call('PUT', `/api/v1/entity/Task/${DEMO.taskIds['sh030/Comp']}`, { body: { sg_status_list: 'rdy' } }))
          .status,
      ).eql(200);
      should(h.sim.eventLog()).have.length(before + 1);
      const created = await h.call<OneBody>('POST', '/api/v1/entity/ApiUser', { body: { firstname: 'rest_made' } });
      should(created.json.data.attributes.generate_event_log_entries).eql(false);
      should(h.sim.addScript('default_tool', 'k')).containEql({ type: 'ApiUser' });
      should(h.sim.find('ApiUser', (u) => u.firstname === 'default_tool')[0].generate_event_log_entries).eql(true);
    });
  });
});
