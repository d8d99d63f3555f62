import should = require('should');
import { FptrClient } from '../../../../lib/fptr/client/client';
import { eventLogQuery } from '../../../../lib/fptr/events/event-log-query';
import { EventLogReader } from '../../../../lib/fptr/events/event-log-reader';
import { HostileServer, answers } from '../../../support/hostile-server';

/** An EventLogEntry as a site writes it in JSON:API form. */
function row(id: number, eventType = 'Shotgun_Task_Change', createdAt = '2024-05-02T10:11:11Z'): unknown {
  return {
    type: 'EventLogEntry',
    id,
    attributes: {
      event_type: eventType,
      attribute_name: 'sg_status_list',
      meta: { type: 'attribute_change', entity_type: 'Task', entity_id: 5 },
      session_uuid: null,
      created_at: createdAt,
    },
    relationships: {
      entity: { data: { type: 'Task', id: 5 } },
      project: { data: { type: 'Project', id: 1 } },
      user: { data: { type: 'HumanUser', id: 2 } },
    },
  };
}

describe('event-log reads from a site that misbehaves', () => {
  const server = new HostileServer();
  let client: FptrClient;

  beforeEach(async () => {
    await server.listen();
    client = new FptrClient({
      url: server.url,
      auth: { grant: 'client_credentials', scriptName: 's', scriptKey: 'k' },
      maxRetries: 0,
    });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  const unfiltered = eventLogQuery({ eventTypes: [], projects: [], entityTypes: [] });

  it('rows out of order, twice, at or below the cursor, or not events at all: the stretch is read as if the site had sorted it', async () => {
    server.api = answers.json(200, {
      data: [row(14), row(12), row(9), row(12), { type: 'EventLogEntry', id: 13, attributes: {} }, row(10)],
    });
    const result = await new EventLogReader(client, unfiltered, 500).scan(10);
    should(result.events.map((e) => e.id)).eql([12, 14]);
    should(result.end).eql(14);
    // 13 came back unreadable: it is waited for like a missing id, and looked up again later.
    should(result.missing.map((m) => [m.from, m.to])).eql([
      [11, 11],
      [13, 13],
    ]);
    should(result.full).be.false();
  });

  it('with filters, the ids that exist are read first (unfiltered, ids only), then the matching rows', async () => {
    const bodies: unknown[] = [];
    server.api = (req, res) => {
      const body = JSON.parse(req.body) as { filters: unknown; fields: string };
      bodies.push(body);
      const data =
        body.fields === 'id,created_at'
          ? [11, 12, 13, 14].map((id) => ({
              type: 'EventLogEntry',
              id,
              attributes: { created_at: '2024-05-02T10:11:11Z' },
            }))
          : [row(12, 'Shotgun_Note_New')];
      answers.json(200, { data })(req, res);
    };
    const result = await new EventLogReader(
      client,
      eventLogQuery({ eventTypes: ['Shotgun_Note_*'], projects: [], entityTypes: [] }),
      500,
    ).scan(10);
    should(bodies).eql([
      { filters: [['id', 'greater_than', 10]], fields: 'id,created_at', sort: 'id', page: { size: 5000, number: 1 } },
      {
        filters: [
          ['id', 'greater_than', 10],
          ['event_type', 'starts_with', 'Shotgun_Note_'],
        ],
        fields: 'id,event_type,attribute_name,meta,entity,user,project,session_uuid,created_at',
        sort: 'id',
        page: { size: 500, number: 1 },
      },
    ]);
    should(result.events.map((e) => e.id)).eql([12]);
    should(result.end).eql(14);
    should(result.missing).eql([]);
  });

  it('a site that filters nothing: the local test still decides', async () => {
    server.api = answers.json(200, { data: [row(11, 'Shotgun_Shot_Change'), row(12, 'Shotgun_Note_New')] });
    const found = await new EventLogReader(
      client,
      eventLogQuery({ eventTypes: ['Shotgun_Note_New'], projects: [], entityTypes: [] }),
      500,
    ).lookup([11, 12, 13]);
    should(found.events.map((e) => e.id)).eql([12]);
    should(found.unmatched).eql([11]);
    should(found.missing).eql([13]);
  });
});
