import should = require('should');
import { SimHarness, errorOf } from '../support/sim';

type Attr = { value: unknown; editable: boolean };
type FieldSchema = Record<string, Attr> & { properties: Record<string, Attr> };

describe('fptr-sim: schema and server info', () => {
  const h = new SimHarness();
  beforeEach(() => h.start());
  afterEach(() => h.stop());

  it('GET /api/v1 answers server info without a token, with or without a trailing slash', async () => {
    for (const path of ['/api/v1', '/api/v1/']) {
      const res = await h.call<{ data: Record<string, unknown> }>('GET', path, { token: null });
      should(res.status).eql(200);
      should(res.json.data).containEql({ api_version: 'v1', user_authentication_method: 'default' });
      should(res.json.data.shotgun_version).match(/^v\d+\.\d+/);
    }
  });

  it('lists every entity type as {name, visible} attributes', async () => {
    const res = await h.call<{ data: Record<string, { name: Attr; visible: Attr }> }>(
      'GET',
      '/api/v1/schema?project_id=1',
    );
    should(res.status).eql(200);
    should(Object.keys(res.json.data)).containDeep([
      'Project',
      'Shot',
      'Task',
      'Version',
      'Note',
      'HumanUser',
      'ApiUser',
      'EventLogEntry',
      'Attachment',
    ]);
    should(res.json.data.HumanUser).eql({
      name: { value: 'Person', editable: false },
      visible: { value: true, editable: false },
    });
    should((await h.call('GET', '/api/v1/schema', { token: null })).status).eql(401);
    const bad = await h.call('GET', '/api/v1/schema?project_id=abc');
    should(errorOf(bad)).containEql({
      status: 400,
      code: 103,
      title: 'project_id must be an integer',
      source: { project_id: ['project_id must be an integer'] },
    });
  });

  it('reads one entity type by schema name or plural path', async () => {
    for (const name of ['Task', 'tasks']) {
      const res = await h.call<{ data: { name: Attr } }>('GET', `/api/v1/schema/${name}`);
      should(res.json.data.name).eql({ value: 'Task', editable: false });
    }
    const unknown = await h.call('GET', '/api/v1/schema/Starship');
    should(errorOf(unknown)).containEql({ status: 404, title: "Entity type 'Starship' does not exist." });
  });

  it('reads the fields of a type, every attribute as {value, editable}, status lists with valid and display values', async () => {
    const res = await h.call<{ data: Record<string, FieldSchema> }>('GET', '/api/v1/schema/Task/fields');
    should(res.status).eql(200);
    const status = res.json.data.sg_status_list;
    for (const key of [
      'name',
      'data_type',
      'editable',
      'mandatory',
      'unique',
      'visible',
      'entity_type',
      'description',
      'custom_metadata',
      'ui_value_displayable',
    ]) {
      should(status[key]).have.keys('value', 'editable');
    }
    should(status.data_type.value).eql('status_list');
    should(status.name.value).eql('Status');
    should(status.entity_type.value).eql('Task');
    should(status.editable.value).be.true();
    should(status.properties.default_value.value).eql('wtg');
    should(status.properties.valid_values.value).containDeep(['wtg', 'rdy', 'ip', 'rev', 'fin']);
    should(status.properties.display_values.value).containEql({
      wtg: 'Waiting to Start',
      rdy: 'Ready to Start',
      ip: 'In Progress',
      rev: 'Pending Review',
      fin: 'Final',
    });
    should(res.json.data.content.name.value).eql('Task Name');
    should(res.json.data.entity.properties.valid_types.value).eql(['Shot', 'Asset', 'Sequence', 'Project']);
    should(res.json.data.updated_at.editable.value).be.false();
    should(res.json.data.id.editable.value).be.false();
    const log = await h.call<{ data: Record<string, FieldSchema> }>('GET', '/api/v1/schema/event_log_entries/fields');
    should(log.json.data.meta.data_type.value).eql('serializable');
    should(log.json.data.event_type.editable.value).be.false();
  });

  it('reads one field; unknown fields and types answer 404', async () => {
    const res = await h.call<{ data: FieldSchema }>('GET', '/api/v1/schema/versions/fields/sg_status_list');
    should(res.status).eql(200);
    should(res.json.data.properties.valid_values.value).eql(['na', 'rev', 'vwd', 'apr', 'fin']);
    should(res.json.data.properties.display_values.value).eql({
      na: 'N/A',
      rev: 'Pending Review',
      vwd: 'Viewed',
      apr: 'Approved',
      fin: 'Final',
    });
    const file = await h.call<{ data: FieldSchema }>('GET', '/api/v1/schema/Version/fields/sg_uploaded_movie');
    should(file.json.data.data_type.value).eql('url');
    const flag = await h.call<{ data: FieldSchema }>('GET', '/api/v1/schema/ApiUser/fields/generate_event_log_entries');
    should(flag.json.data.properties.default_value.value).eql(false);
    should(errorOf(await h.call('GET', '/api/v1/schema/Task/fields/nope'))).containEql({ status: 404, code: 104 });
    should(errorOf(await h.call('GET', '/api/v1/schema/Nope/fields'))).containEql({ status: 404 });
  });
});
