import should = require('should');
import { FptrClient } from '../../../../lib/fptr/client/client';
import { eventLogQuery } from '../../../../lib/fptr/events/event-log-query';
import { EventLogReader, type ScanResult } from '../../../../lib/fptr/events/event-log-reader';
import { FptrSimulator } from '../../../../sim';
import { ClientSim } from '../../../support/client-sim';
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

describe('event-log reads: several pages at once read what one page after another reads', function () {
  this.timeout(60_000);
  const cs = new ClientSim();

  afterEach(() => cs.stop());

  /** Every stretch from `after` to the newest id, with `read`, until a stretch is not full. */
  async function readAll(
    read: (after: number) => Promise<ScanResult>,
    after: number,
  ): Promise<{ events: number[]; missing: number[] }> {
    const events: number[] = [];
    const missing: number[] = [];
    for (;;) {
      const result = await read(after);
      events.push(...result.events.map((e) => e.id));
      for (const run of result.missing) for (let id = run.from; id <= run.to; id++) missing.push(id);
      if (!result.full || result.end === after) return { events, missing };
      after = result.end;
    }
  }

  for (const filter of [
    { eventTypes: [], projects: [], entityTypes: [] },
    { eventTypes: ['Shotgun_Task_*'], projects: [], entityTypes: [] },
  ]) {
    it(`the same rows and the same missing ids (${filter.eventTypes.length ? 'with' : 'without'} filters, ids held back)`, async function () {
      const sim = await cs.start();
      const start = sim.eventLog().at(-1)?.id ?? 0;
      const hold = sim.eventLog.holdBack({ fraction: 0.05, forMs: 60_000, foreverFraction: 0.01, seed: 9 });
      sim.generateEvents(2345, { projects: [FptrSimulator.DEMO.projectId] });
      hold.stop();
      const reader = new EventLogReader(cs.client(), eventLogQuery(filter), 100);
      const one = await readAll((after) => reader.scan(after), start);
      const several = await readAll((after) => reader.scanRanges(after, 4), start);
      should(several).eql(one);
      should(one.missing.length).be.above(50);
      should(one.events.length).be.above(filter.eventTypes.length ? 500 : 2000);
    });
  }

  it('asks for the ids that exist first, then the ranges, each range at most a page of ids', async function () {
    const server = new HostileServer();
    await server.listen();
    const client = new FptrClient({
      url: server.url,
      auth: { grant: 'client_credentials', scriptName: 's', scriptKey: 'k' },
      maxRetries: 0,
    });
    try {
      const bodies: Array<{ filters: unknown; fields: string }> = [];
      server.api = (req, res) => {
        const body = JSON.parse(req.body) as { filters: unknown; fields: string };
        bodies.push(body);
        // The site's newest id is 23: the stretch ends there, not at the top of the last range.
        const data =
          body.fields === 'id,created_at'
            ? [11, 12, 23].map((id) => ({
                type: 'EventLogEntry',
                id,
                attributes: { created_at: '2024-05-02T10:11:11Z' },
              }))
            : [];
        answers.json(200, { data })(req, res);
      };
      const reader = new EventLogReader(
        client,
        eventLogQuery({ eventTypes: ['Shotgun_Note_New'], projects: [], entityTypes: [] }),
        10,
      );
      const result = await reader.scanRanges(10, 3);
      should(bodies[0]).containEql({ filters: [['id', 'between', [11, 40]]], fields: 'id,created_at' });
      should(bodies.slice(1).map((b) => (b.filters as unknown[][])[0])).eql([
        ['id', 'between', [11, 20]],
        ['id', 'between', [21, 30]],
        ['id', 'between', [31, 40]],
      ]);
      should(result).containEql({ end: 23, full: false, events: [] });
      should(result.missing.map((m) => [m.from, m.to])).eql([[13, 22]]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
