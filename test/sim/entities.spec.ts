import fc = require('fast-check');
import should = require('should');
import { FptrSimulator } from '../../sim';
import { ARRAY, HASH, SimHarness, errorOf, type ListBody, type OneBody } from '../support/sim';

const DEMO = FptrSimulator.DEMO;
const project = { type: 'Project', id: DEMO.projectId };

describe('fptr-sim: entities', () => {
  const h = new SimHarness();
  beforeEach(() => h.start());
  afterEach(() => h.stop());

  describe('read one', () => {
    it('serialises a record JSON:API-style with plural links', async () => {
      const id = DEMO.taskIds['sh010/Animation'];
      const res = await h.call<OneBody>(
        'GET',
        `/api/v1/entity/Task/${id}?fields=content,sg_status_list,entity,task_assignees,step.Step.code,bogus_field`,
      );
      should(res.status).eql(200);
      const rec = res.json.data;
      should(rec).containEql({ type: 'Task', id });
      should(rec.attributes).eql({ content: 'Animation', sg_status_list: 'wtg', 'step.Step.code': 'Animation' });
      should(rec.relationships.entity).eql({
        data: { type: 'Shot', id: DEMO.shotIds.sh010, name: 'sh010' },
        links: {
          self: `/api/v1/entity/tasks/${id}/relationships/entity`,
          related: `/api/v1/entity/shots/${DEMO.shotIds.sh010}`,
        },
      });
      should(rec.relationships.task_assignees.data).eql([
        { type: 'HumanUser', id: DEMO.artistIds[1], name: 'Sam Lighter' },
      ]);
      should(rec.links).eql({ self: `/api/v1/entity/tasks/${id}` });
      should(res.json.links?.self).startWith(`/api/v1/entity/Task/${id}?`);
    });

    it('accepts the snake_case plural path and fields=*', async () => {
      const res = await h.call<OneBody>('GET', `/api/v1/entity/human_users/${DEMO.humanUserId}?fields=*`);
      should(res.status).eql(200);
      should(res.json.data.attributes).containEql({ login: 'jane', name: 'Jane Doe' });
      should(res.json.data.relationships).have.property('projects');
    });

    it('answers 404 code 104 for a missing record and 404 for an unknown type', async () => {
      const missing = await h.call('GET', '/api/v1/entity/Asset/400000');
      should(missing.status).eql(404);
      should(errorOf(missing)).containEql({ status: 404, code: 104, detail: 'Asset: 400000 not found' });
      const unknown = await h.call('GET', '/api/v1/entity/Spaceship/1');
      should(unknown.status).eql(404);
      should(errorOf(unknown).title).eql("Entity type 'Spaceship' does not exist.");
    });
  });

  describe('list (GET)', () => {
    it('filters with filter[field], sorts and pages with links', async () => {
      const res = await h.call<ListBody>(
        'GET',
        `/api/v1/entity/tasks?filter[sg_status_list]=ip&filter[project.Project.id]=${DEMO.projectId}&fields=content&sort=-id&page[size]=2`,
      );
      should(res.status).eql(200);
      const ids = res.json.data.map((r) => r.id);
      should(ids).have.length(2);
      should(ids[0]).be.above(ids[1]);
      should(
        res.json.data.every((r) => r.attributes.content === 'Layout' || r.attributes.content === 'Model'),
      ).be.true();
      should(res.json.links.next).containEql('page%5Bnumber%5D=2');
      should(res.json.links.next).containEql('filter%5Bsg_status_list%5D=ip');
    });

    it('treats a comma-separated filter value as one of', async () => {
      const res = await h.call<ListBody>(
        'GET',
        '/api/v1/entity/Asset?filter[sg_asset_type]=Prop,Character&fields=code',
      );
      should(res.json.data.map((r) => r.attributes.code).sort()).eql(['crate', 'hero']);
    });
  });

  describe('_search', () => {
    const codes = (body: ListBody): unknown[] => body.data.map((r) => r.attributes.code ?? r.attributes.content);

    it('takes array filters with the array vendor type', async () => {
      const res = await h.search('Shot', {
        filters: [
          ['project', 'is', project],
          ['code', 'in', ['sh010', 'sh030']],
        ],
        fields: ['code'],
      });
      should(res.status).eql(200);
      should(codes(res.json)).eql(['sh010', 'sh030']);
    });

    it("answers an or of many branches exactly as the union of each branch's own search (property)", async () => {
      const shots = Object.values(DEMO.shotIds);
      const assets = Object.values(DEMO.assetIds);
      const tasks = Object.values(DEMO.taskIds);
      const link = fc.oneof(
        fc.constantFrom(...shots).map((id) => ({ type: 'Shot', id })),
        fc.constantFrom(...assets).map((id) => ({ type: 'Asset', id })),
        // Never equal to a stored link: another type with the same id, an id that is text, no such record.
        fc.constantFrom(...shots).map((id) => ({ type: 'Asset', id })),
        fc.constantFrom(...shots).map((id) => ({ type: 'Shot', id: String(id) })),
        fc.constant({ type: 'Shot', id: 999_999 }),
      );
      const condition = fc.oneof(
        link.map((l) => ['entity', 'is', l]),
        link.map((l) => ({ path: 'entity', relation: 'is', values: [l] })),
        fc.constantFrom('wtg', 'rdy', 'ip', 'fin').map((st) => ['sg_status_list', 'is', st]),
        fc.constantFrom('Layout', 'Animation', 'Comp', 'Model').map((step) => ['step.Step.code', 'is', step]),
        fc
          .tuple(fc.subarray([...tasks, 999_999], { minLength: 8 }), fc.boolean())
          .map(([ids, someAsText]) => ['id', 'in', ids.map((id, i) => (someAsText && i % 3 === 0 ? String(id) : id))]),
        // A text field against numbers: only a text that spells one matches.
        fc.subarray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { minLength: 8 }).map((n) => ['content', 'in', n]),
      );
      const branch = fc.oneof(
        condition,
        fc
          .array(condition, { minLength: 1, maxLength: 3 })
          .map((conditions) => ({ logical_operator: 'and', conditions })),
      );
      const ids = (body: ListBody): number[] => body.data.map((r) => r.id);
      // The oracle asks `in` as an `or` of `is`: judged without the simulator's shortcut for long lists.
      const spelledOut = (c: unknown): unknown =>
        Array.isArray(c) && c[1] === 'in'
          ? { logical_operator: 'or', conditions: (c[2] as unknown[]).map((v) => [c[0], 'is', v]) }
          : c;
      await fc.assert(
        fc.asyncProperty(fc.array(branch, { minLength: 8, maxLength: 30 }), async (branches) => {
          const combined = await h.search('Task', { filters: { logical_operator: 'or', conditions: branches } }, HASH);
          should(combined.status).eql(200);
          const union = new Set<number>();
          for (const b of branches) {
            const conditions = typeof b === 'object' && 'conditions' in b ? b.conditions : [b];
            const alone = await h.search(
              'Task',
              { filters: { logical_operator: 'and', conditions: conditions.map(spelledOut) } },
              HASH,
            );
            should(alone.status).eql(200);
            for (const id of ids(alone.json)) union.add(id);
          }
          should(ids(combined.json)).eql([...union].sort((a, b) => a - b));
        }),
        { numRuns: 40 },
      );
    });

    it('refuses application/json with 415', async () => {
      const res = await h.call('POST', '/api/v1/entity/Shot/_search', { body: { filters: [] } });
      should(res.status).eql(415);
      should(errorOf(res)).containEql({ status: 415, code: 103 });
    });

    it('takes hash filters with a nested or group', async () => {
      const res = await h.search(
        'Task',
        {
          filters: {
            logical_operator: 'and',
            conditions: [
              ['project.Project.id', 'is', DEMO.projectId],
              ['entity.Shot.code', 'is', 'sh020'],
              {
                logical_operator: 'or',
                conditions: [
                  ['step.Step.code', 'is', 'Layout'],
                  ['step.Step.code', 'is', 'Comp'],
                ],
              },
            ],
          },
          fields: 'content,entity',
        },
        HASH,
      );
      should(res.status).eql(200);
      should(codes(res.json)).eql(['Layout', 'Comp']);
      should(res.json.data[0].relationships.entity.data).containEql({ type: 'Shot', id: DEMO.shotIds.sh020 });
    });

    it('refuses a group in array mode and upper-case logical operators', async () => {
      const nested = await h.search('Task', { filters: [{ logical_operator: 'or', conditions: [] }] });
      should(nested.status).eql(400);
      const upper = await h.search(
        'Task',
        { filters: { logical_operator: 'AND', conditions: [['id', 'is', 1]] } },
        HASH,
      );
      should(upper.status).eql(400);
      should(errorOf(upper).title).match(/logical_operator must be one of: and, or/);
    });

    it('answers 400 listing the valid relations for an unknown one', async () => {
      const res = await h.search('Shot', { filters: [['code', 'looks_like', 'sh010']] });
      should(res.status).eql(400);
      const title = errorOf(res).title ?? '';
      should(title).match(/Invalid relation 'looks_like'/);
      for (const rel of ['is', 'is_not', 'in', 'not_in', 'contains', 'between', 'type_is'])
        should(title).containEql(rel);
    });

    it('answers 400 code 103 for an unknown field or path in a filter', async () => {
      const res = await h.search('Asset', { filters: [['not_existing_field', 'is', 1]] });
      should(errorOf(res)).containEql({
        status: 400,
        code: 103,
        title: "API read() Asset.not_existing_field doesn't exist.",
      });
      const path = await h.search('Task', { filters: [['entity.Shot.nope', 'is', 1]] });
      should(errorOf(path).title).eql("API read() Shot.nope doesn't exist.");
    });

    it('supports the documented relations', async () => {
      const shots = async (filters: unknown[]): Promise<unknown[]> => {
        const res = await h.search('Shot', { filters, fields: ['code'], sort: 'code' });
        should(res.status).eql(200);
        return codes(res.json);
      };
      should(await shots([['code', 'is_not', 'sh010']])).eql(['sh020', 'sh030']);
      should(await shots([['code', 'not_in', ['sh010', 'sh020']]])).eql(['sh030']);
      should(await shots([['code', 'contains', 'H02']])).eql(['sh020']);
      should(await shots([['code', 'not_contains', '0']])).eql([]);
      should(await shots([['code', 'starts_with', 'sh0']])).eql(['sh010', 'sh020', 'sh030']);
      should(await shots([['code', 'ends_with', '30']])).eql(['sh030']);
      should(await shots([['sg_cut_out', 'greater_than', 1048]])).eql(['sh020', 'sh030']);
      should(await shots([['sg_cut_out', 'less_than', 1072]])).eql(['sh010']);
      should(await shots([['sg_cut_out', 'between', [1050, 1080]]])).eql(['sh020']);
      should(await shots([['sg_sequence', 'is', { type: 'Sequence', id: DEMO.sequenceId }]])).have.length(3);
      should(
        await shots([
          ['sg_sequence', 'type_is', 'Sequence'],
          ['id', 'is', DEMO.shotIds.sh010],
        ]),
      ).eql(['sh010']);
      should(await shots([['sg_sequence', 'is', null]])).eql([]);
      should(await shots([['created_at', 'in_last', [1, 'DAY']]])).have.length(3);
    });

    it('compares links by type and id, and matches multi-entity fields on any member', async () => {
      const wrongType = await h.search('Task', {
        filters: [['entity', 'is', { type: 'Asset', id: DEMO.shotIds.sh010 }]],
      });
      should(wrongType.json.data).have.length(0);
      const byArtist = await h.search('Task', {
        filters: [
          ['task_assignees', 'is', { type: 'HumanUser', id: DEMO.artistIds[0] }],
          ['entity', 'type_is', 'Shot'],
        ],
        fields: ['content'],
      });
      should(byArtist.json.data.length).be.above(0);
      should(
        byArtist.json.data.every((r) => r.attributes.content === 'Layout' || r.attributes.content === 'Lighting'),
      ).be.true();
      const byLogin = await h.search('Task', {
        filters: [
          ['task_assignees.HumanUser.login', 'is', 'alex'],
          ['entity', 'type_is', 'Shot'],
        ],
      });
      should(byLogin.json.data.map((r) => r.id)).eql(byArtist.json.data.map((r) => r.id));
    });

    it('reads fields, sort and page from the query string too', async () => {
      const res = await h.search('Shot', { filters: [] }, ARRAY, '?fields=code&sort=-code&page[size]=2&page[number]=1');
      should(codes(res.json)).eql(['sh030', 'sh020']);
    });

    it('returns retired records only with options.return_only=retired', async () => {
      h.sim.retire('Shot', DEMO.shotIds.sh030);
      const active = await h.search('Shot', { filters: [], fields: ['code'] });
      should(codes(active.json)).eql(['sh010', 'sh020']);
      const retired = await h.search('Shot', { filters: [], fields: ['code'], options: { return_only: 'retired' } });
      should(codes(retired.json)).eql(['sh030']);
    });

    it('leaves out records of archived projects unless asked', async () => {
      h.sim.update('Project', DEMO.projectId, { archived: true });
      should((await h.search('Shot', { filters: [] })).json.data).have.length(0);
      should(
        (await h.search('Shot', { filters: [], options: { include_archived_projects: true } })).json.data,
      ).have.length(3);
    });

    it('pages 1,200 bulk-created rows in pages of 500 with links.next', async () => {
      h.sim.bulkCreate(
        'Asset',
        Array.from({ length: 1200 }, (_, i) => ({
          code: `bulk_${String(i).padStart(4, '0')}`,
          project,
          sg_asset_type: 'Bulk',
        })),
      );
      const filters = [['sg_asset_type', 'is', 'Bulk']];
      const sizes: number[] = [];
      const seen = new Set<number>();
      for (let n = 1; n <= 4; n++) {
        const res = await h.search('Asset', { filters, fields: ['code'], page: { number: n } });
        should(res.status).eql(200);
        sizes.push(res.json.data.length);
        res.json.data.forEach((r) => seen.add(r.id));
        should(res.json.links.next).containEql(`page%5Bnumber%5D=${n + 1}`);
        should(res.json.links.next).containEql('page%5Bsize%5D=500');
      }
      should(sizes).eql([500, 500, 200, 0]);
      should(seen.size).eql(1200);
      should(h.sim.eventLog()).have.length(0);
    });

    it('validates the page size', async () => {
      should(errorOf(await h.search('Asset', { filters: [], page: { size: 5001 } })).title).eql(
        'size must be less than 5000',
      );
      should(errorOf(await h.search('Asset', { filters: [], page: { size: 0 } })).title).eql(
        'size must be greater than 0',
      );
      should((await h.search('Asset', { filters: [], page: { size: 5000 } })).status).eql(200);
    });

    it('searches EventLogEntry like the event daemon', async () => {
      const taskId = DEMO.taskIds['sh020/Layout'];
      h.sim.update('Task', taskId, { sg_status_list: 'rev' });
      h.sim.update('Task', taskId, { sg_status_list: 'fin' });
      const first = h.sim.eventLog()[0].id;
      const res = await h.search('event_log_entries', {
        filters: [
          ['id', 'greater_than', first],
          ['event_type', 'in', ['Shotgun_Task_Change', 'Shotgun_Task_New']],
        ],
        fields: [
          'id',
          'event_type',
          'attribute_name',
          'meta',
          'entity',
          'user',
          'project',
          'session_uuid',
          'created_at',
        ],
        sort: 'id',
      });
      should(res.status).eql(200);
      should(res.json.data).have.length(1);
      const row = res.json.data[0];
      should(row.attributes).containEql({
        event_type: 'Shotgun_Task_Change',
        attribute_name: 'sg_status_list',
        session_uuid: null,
      });
      should(row.attributes.meta).containEql({ old_value: 'rev', new_value: 'fin', field_data_type: 'status_list' });
      should(row.relationships.entity.data).containEql({ type: 'Task', id: taskId });
      should(row.relationships.project.data).containEql(project);
    });
  });

  describe('create / update / delete / revive', () => {
    it('creates with 201 {data} and writes New + in_create Change events', async () => {
      const res = await h.call<OneBody>('POST', '/api/v1/entity/assets', {
        body: { code: 'tree', project, sg_asset_type: 'Prop' },
      });
      should(res.status).eql(201);
      should(Object.keys(res.json)).eql(['data']);
      const rec = res.json.data;
      should(rec.attributes).containEql({ code: 'tree', sg_asset_type: 'Prop' });
      should(rec.attributes.created_at).match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
      should(rec.relationships.project.data).eql({ type: 'Project', id: DEMO.projectId, name: 'Demo' });
      const events = h.sim.eventLog();
      should(events.map((e) => [e.event_type, e.attribute_name])).eql([
        ['Shotgun_Asset_New', null],
        ['Shotgun_Asset_Change', 'code'],
        ['Shotgun_Asset_Change', 'project'],
        ['Shotgun_Asset_Change', 'sg_asset_type'],
      ]);
      should(events[0].meta).eql({ type: 'new_entity', entity_type: 'Asset', entity_id: rec.id });
      should(events[1].meta).containEql({
        type: 'attribute_change',
        in_create: true,
        new_value: 'tree',
        old_value: null,
        field_data_type: 'text',
      });
      should(events[0]).containEql({
        session_uuid: null,
        project: { type: 'Project', id: DEMO.projectId, name: 'Demo' },
      });
    });

    it('answers 400 code 103 for an unknown field and writes nothing', async () => {
      const res = await h.call('POST', '/api/v1/entity/Asset', { body: { code: 'x', foo: 1 } });
      should(res.status).eql(400);
      should(errorOf(res)).containEql({ code: 103, title: "API create() Asset.foo doesn't exist." });
      should(h.sim.find('Asset', (a) => a.code === 'x')).have.length(0);
      should(h.sim.eventLog()).have.length(0);
    });

    it('validates values: status lists, link targets and JSON bodies', async () => {
      const status = await h.call('PUT', `/api/v1/entity/Task/${DEMO.taskIds['sh010/Comp']}`, {
        body: { sg_status_list: 'done' },
      });
      should(status.status).eql(400);
      should(errorOf(status).title).match(/Task\.sg_status_list/);
      const link = await h.call('POST', '/api/v1/entity/Shot', {
        body: { code: 'x', project: { type: 'Project', id: 999999 } },
      });
      should(errorOf(link).status).eql(400);
      const bad = await h.call('POST', '/api/v1/entity/Shot', { body: '{"code":', contentType: 'application/json' });
      should(bad.status).eql(400);
      const form = await h.call('POST', '/api/v1/entity/Shot', {
        body: 'code=x',
        contentType: 'application/x-www-form-urlencoded',
      });
      should(form.status).eql(415);
    });

    it('updates with 200 {data, links, status} and logs old/new values', async () => {
      const id = DEMO.taskIds['sh010/Layout'];
      const res = await h.call<OneBody>('PUT', `/api/v1/entity/Task/${id}`, {
        body: { sg_status_list: 'fin', sg_description: 'done' },
      });
      should(res.status).eql(200);
      should(res.json.status).eql('successful');
      should(res.json.links).eql({ self: `/api/v1/entity/tasks/${id}` });
      should(res.json.data.attributes).containEql({ sg_status_list: 'fin', sg_description: 'done' });
      should(h.sim.get('Task', id)).containEql({ sg_status_list: 'fin' });
      const events = h.sim.eventLog();
      should(events).have.length(2);
      should(events[0].meta).eql({
        type: 'attribute_change',
        attribute_name: 'sg_status_list',
        entity_type: 'Task',
        entity_id: id,
        field_data_type: 'status_list',
        old_value: 'ip',
        new_value: 'fin',
      });
      should(events[0]).containEql({
        event_type: 'Shotgun_Task_Change',
        attribute_name: 'sg_status_list',
        entity: { type: 'Task', id, name: 'Layout' },
      });
      const same = await h.call('PUT', `/api/v1/entity/Task/${id}`, { body: { sg_status_list: 'fin' } });
      should(same.status).eql(200);
      should(h.sim.eventLog()).have.length(2);
    });

    it('answers 404 code 104 when updating a missing record', async () => {
      const res = await h.call('PUT', '/api/v1/entity/Asset/400000', { body: { description: 'x' } });
      should(errorOf(res)).containEql({
        status: 404,
        code: 104,
        title: 'Entity of type [Asset] with id=400000 does not exist.',
      });
    });

    it('adds, removes and replaces multi-entity links', async () => {
      const id = DEMO.taskIds['sh030/Comp'];
      const [alex, sam] = DEMO.artistIds.map((i) => ({ type: 'HumanUser', id: i }));
      const jane = { type: 'HumanUser', id: DEMO.humanUserId };
      const assignees = async (): Promise<number[]> =>
        (h.sim.get('Task', id)?.task_assignees as Array<{ id: number }>).map((u) => u.id).sort((a, b) => a - b);
      await h.call('PUT', `/api/v1/entity/Task/${id}`, { body: { task_assignees: [alex] } });
      should(await assignees()).eql([alex.id]);
      const before = h.sim.eventLog().length;
      await h.call('PUT', `/api/v1/entity/Task/${id}`, {
        body: { task_assignees: { multi_entity_update_mode: 'add', value: [sam, jane] } },
      });
      should(await assignees()).eql([jane.id, alex.id, sam.id].sort((a, b) => a - b));
      await h.call('PUT', `/api/v1/entity/Task/${id}`, {
        body: { task_assignees: { multi_entity_update_mode: 'remove', value: [alex] } },
      });
      should(await assignees()).eql([jane.id, sam.id].sort((a, b) => a - b));
      await h.call('PUT', `/api/v1/entity/Task/${id}`, { body: { task_assignees: [alex] } });
      should(await assignees()).eql([alex.id]);
      const metas = h.sim
        .eventLog()
        .slice(before)
        .map((e) => e.meta as Record<string, unknown>);
      should(metas).have.length(3);
      should(metas[0]).containEql({ field_data_type: 'multi_entity', removed: [] });
      should((metas[0].added as unknown[]).length).eql(2);
      should(metas[0]).not.have.properties(['old_value', 'new_value']);
      should(metas[1]).containEql({ added: [], removed: [{ type: 'HumanUser', id: alex.id, name: 'Alex Animator' }] });
      const bad = await h.call('PUT', `/api/v1/entity/Task/${id}`, {
        body: { task_assignees: { multi_entity_update_mode: 'merge', value: [] } },
      });
      should(bad.status).eql(400);
    });

    it('deletes with 204 and an empty body, then revives with did_revive', async () => {
      const id = DEMO.shotIds.sh020;
      const del = await h.call('DELETE', `/api/v1/entity/Shot/${id}`);
      should(del.status).eql(204);
      should(del.text).eql('');
      should((await h.call('GET', `/api/v1/entity/Shot/${id}`)).status).eql(404);
      should((await h.call('GET', `/api/v1/entity/Shot/${id}?options[return_only]=retired`)).status).eql(200);
      should((await h.call('DELETE', `/api/v1/entity/Shot/${id}`)).status).eql(404);
      should(h.sim.get('Shot', id)).be.undefined();
      should(h.sim.get('Shot', id, { includeRetired: true })).containEql({ code: 'sh020' });
      const retirement = h.sim.eventLog().pop();
      should(retirement).containEql({ event_type: 'Shotgun_Shot_Retirement', entity: null });
      should(retirement?.meta).containEql({
        type: 'entity_retirement',
        entity_type: 'Shot',
        entity_id: id,
        class_name: 'Shot',
        display_name: 'sh020',
      });

      const revive = await h.call<OneBody>('POST', `/api/v1/entity/Shot/${id}?revive=true`);
      should(revive.status).eql(200);
      should(revive.json).eql({
        data: { type: 'Shot', id },
        links: { self: `/api/v1/entity/Shot/${id}` },
        meta: { did_revive: true },
      });
      should(h.sim.eventLog().pop()).containEql({
        event_type: 'Shotgun_Shot_Revival',
        entity: { type: 'Shot', id, name: 'sh020' },
      });
      const again = await h.call<OneBody>('POST', `/api/v1/entity/Shot/${id}?revive=true`);
      should(again.json.meta).eql({ did_revive: false });
      should((await h.call('POST', `/api/v1/entity/Shot/${id}`)).status).eql(400);
    });

    it('refuses writes to EventLogEntry', async () => {
      h.sim.update('Shot', DEMO.shotIds.sh010, { description: 'x' });
      const id = h.sim.eventLog()[0].id;
      should(
        (await h.call('PUT', `/api/v1/entity/EventLogEntry/${id}`, { body: { description: 'edited' } })).status,
      ).eql(400);
      should((await h.call('DELETE', `/api/v1/entity/event_log_entries/${id}`)).status).eql(400);
    });
  });

  describe('_batch', () => {
    it('applies create/update/delete in order and answers one row per request', async () => {
      const [a, b] = h.sim.bulkCreate('Asset', [
        { code: 'b1', project },
        { code: 'b2', project },
      ]);
      const res = await h.call<{ data: Array<Record<string, unknown>> }>('POST', '/api/v1/entity/_batch', {
        body: {
          requests: [
            {
              request_type: 'create',
              entity: 'Note',
              data: { project, subject: 'auto', content: 'hi' },
              options: { fields: ['subject'] },
            },
            { request_type: 'update', entity: 'Asset', record_id: a.id, data: { code: 'b1x' } },
            { request_type: 'delete', entity: 'Asset', record_id: b.id },
          ],
        },
      });
      should(res.status).eql(200);
      const [created, updated, deleted] = res.json.data;
      should((created.data as OneBody['data']).attributes).eql({ subject: 'auto' });
      should(updated).containEql({ status: 'successful' });
      should((updated.data as OneBody['data']).attributes).containEql({ code: 'b1x' });
      should(deleted).eql({ request_type: 'delete', type: 'Asset', id: b.id, did_delete: true });
      should(h.sim.get('Asset', b.id)).be.undefined();
      should(h.sim.find('Note', (n) => n.subject === 'auto')).have.length(1);
    });

    it('is all-or-nothing: one failing entry answers its error and applies nothing', async () => {
      const [a] = h.sim.bulkCreate('Asset', [{ code: 'c1', project }]);
      const res = await h.call('POST', '/api/v1/entity/_batch', {
        body: {
          requests: [
            { request_type: 'update', entity: 'Asset', record_id: a.id, data: { code: 'c1x' } },
            { request_type: 'create', entity: 'Note', data: { project, subject: 'never' } },
            { request_type: 'update', entity: 'Asset', record_id: 400000, data: { code: 'nope' } },
          ],
        },
      });
      should(res.status).eql(404);
      should(errorOf(res)).containEql({ status: 404, code: 104 });
      should(errorOf(res).detail).match(/^requests\[2\]/);
      should(h.sim.get('Asset', a.id)?.code).eql('c1');
      should(h.sim.find('Note', (n) => n.subject === 'never')).have.length(0);
      should(h.sim.eventLog()).have.length(0);
    });

    it('rolls back entries that already ran when a later one fails against their result', async () => {
      const shot = DEMO.shotIds.sh030;
      const res = await h.call('POST', '/api/v1/entity/_batch', {
        body: {
          requests: [
            { request_type: 'update', entity: 'Shot', record_id: shot, data: { description: 'first' } },
            { request_type: 'delete', entity: 'Shot', record_id: shot },
            {
              request_type: 'create',
              entity: 'Note',
              data: { project, subject: 'on a deleted shot', note_links: [{ type: 'Shot', id: shot }] },
            },
          ],
        },
      });
      should(res.status).eql(400);
      should(errorOf(res)).containEql({ status: 400, code: 103 });
      should(errorOf(res).detail).startWith(`requests[2]: API create() Note.note_links links to Shot ${shot}`);
      should(errorOf(res).source).eql({ requests: { 2: {} } });
      should(h.sim.get('Shot', shot)).containEql({ code: 'sh030', description: null });
      should(h.sim.find('Note', (n) => n.subject === 'on a deleted shot')).have.length(0);
      should(h.sim.eventLog()).have.length(0);
      const after = await h.call<{ data: unknown[] }>('POST', '/api/v1/entity/_batch', {
        body: { requests: [{ request_type: 'create', entity: 'Note', data: { project, subject: 'next' } }] },
      });
      should(after.status).eql(200);
      should(h.sim.eventLog()[0]).containEql({ event_type: 'Shotgun_Note_New' });
    });

    it('refuses vendor content types (415), plural names and a missing request list', async () => {
      const vendor = await h.call('POST', '/api/v1/entity/_batch', { body: { requests: [] }, contentType: ARRAY });
      should(vendor.status).eql(415);
      const plural = await h.call('POST', '/api/v1/entity/_batch', {
        body: { requests: [{ request_type: 'create', entity: 'notes', data: {} }] },
      });
      should(plural.status).eql(400);
      should((await h.call('POST', '/api/v1/entity/_batch', { body: {} })).status).eql(400);
      const badType = await h.call('POST', '/api/v1/entity/_batch', {
        body: { requests: [{ request_type: 'retire', entity: 'Note', record_id: 1 }] },
      });
      should(errorOf(badType).title).match(/request_type must be one of/);
    });
  });

  describe('direct access', () => {
    it('create/update/retire/revive write events; bulkCreate does not', () => {
      const rows = h.sim.bulkCreate('Shot', [
        { code: 'q1', project },
        { code: 'q2', project },
      ]);
      should(h.sim.eventLog()).have.length(0);
      const shot = h.sim.create('Shot', { code: 'q3', project, sg_status_list: 'ip' });
      should(shot).containEql({ type: 'Shot', code: 'q3', sg_status_list: 'ip' });
      h.sim.update('Shot', rows[0].id, { sg_status_list: 'hld' }, { type: 'HumanUser', id: DEMO.artistIds[0] });
      h.sim.retire('Shot', rows[1].id);
      should(h.sim.revive('Shot', rows[1].id)).be.true();
      const types = h.sim.eventLog().map((e) => e.event_type);
      should(types).eql([
        'Shotgun_Shot_New',
        'Shotgun_Shot_Change',
        'Shotgun_Shot_Change',
        'Shotgun_Shot_Change',
        'Shotgun_Shot_Change',
        'Shotgun_Shot_Retirement',
        'Shotgun_Shot_Revival',
      ]);
      should(h.sim.eventLog()[4].user).containEql({ type: 'HumanUser', id: DEMO.artistIds[0] });
      should(h.sim.eventLog()[0].user).containEql({ type: 'HumanUser', id: DEMO.humanUserId });
      should(() => h.sim.create('Shot', { nope: 1 })).throw("API create() Shot.nope doesn't exist.");
    });

    it('seed: false starts with the demo users only', async () => {
      await h.stop();
      const sim = await h.start({ seed: false });
      should(sim.find('Project')).have.length(0);
      should(sim.find('ApiUser')).have.length(1);
      should((await h.call('GET', `/api/v1/entity/human_users/${DEMO.humanUserId}`)).status).eql(200);
    });

    it('seeds the documented demo project', () => {
      const sim = h.sim;
      should(sim.get('Project', DEMO.projectId)).containEql({ name: 'Demo' });
      should(sim.find('Step').map((s) => [s.code, s.entity_type, s.list_order])).eql([
        ['Layout', 'Shot', 1],
        ['Animation', 'Shot', 2],
        ['Lighting', 'Shot', 3],
        ['Comp', 'Shot', 4],
        ['Model', 'Asset', 1],
        ['Rig', 'Asset', 2],
        ['Surfacing', 'Asset', 3],
      ]);
      should(sim.find('Shot').map((s) => s.code)).eql(['sh010', 'sh020', 'sh030']);
      should(sim.find('Task')).have.length(18);
      should(sim.find('Task', (t) => t.sg_status_list === 'ip')).have.length(5);
      should(sim.get('ApiUser', DEMO.apiUserId)).containEql({ firstname: 'node_red_bridge' });
      should(sim.find('Version')).have.length(2);
      should(sim.find('Note')[0]).containEql({
        tasks: [{ type: 'Task', id: DEMO.taskIds['sh010/Layout'], name: 'Layout' }],
      });
      should(sim.eventLog()).have.length(0);
    });
  });
});
