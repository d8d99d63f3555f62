import should = require('should');
import { FptrSimulator } from '../../../../sim';
import type { FlatRecord } from '../../../../lib/fptr/client/api';
import type { Delivery } from '../../../../lib/fptr/contract';
import { EVENT_FIELDS, eventLogMessage, logEventOf, operationOf } from '../../../../lib/fptr/events/event-log-delivery';
import { EVENT_LOG } from '../../../../lib/fptr/events/event-log-reader';
import { ClientSim } from '../../../support/client-sim';
import { Consumer, deliveriesOf } from '../../../support/sim';

const DEMO = FptrSimulator.DEMO;

/** A link as a webhook sends it: `{type, id}` (the REST read adds `name`). */
function bare(link: unknown): unknown {
  if (link === null || typeof link !== 'object') return link;
  const { type, id } = link as { type: unknown; id: unknown };
  return { type, id };
}

describe('event-log rows as webhook deliveries', () => {
  const cs = new ClientSim();
  const consumer = new Consumer();
  let sim: FptrSimulator;

  beforeEach(async () => {
    await consumer.listen();
    sim = await cs.start({ webhookBatchWindowMs: 10 });
  });
  afterEach(async () => {
    await cs.stop();
    await consumer.close();
  });

  it('create, update, multi-entity change, retirement and revival read from the log match what a webhook delivered', async () => {
    sim.createWebhook({
      url: consumer.url,
      entity_types: {
        Shot: { create: [], update: ['description'], delete: [], revive: [] },
        Task: { update: ['task_assignees'] },
      },
    });
    const before = sim.eventLog().at(-1)?.id ?? 0;
    const shot = sim.create('Shot', {
      code: 'sh990',
      project: { type: 'Project', id: DEMO.projectId },
      description: 'new',
    });
    sim.update('Shot', shot.id, { description: 'changed' });
    sim.update('Task', DEMO.taskIds['sh010/Animation'], { task_assignees: [] });
    sim.update('Task', DEMO.taskIds['sh010/Animation'], {
      task_assignees: [{ type: 'HumanUser', id: DEMO.artistIds[1] }],
    });
    sim.retire('Shot', shot.id);
    sim.revive('Shot', shot.id);
    await sim.whenDeliveriesSettled();
    const delivered = new Map<number, Delivery>();
    for (const d of consumer.received.flatMap(deliveriesOf)) delivered.set(d.event_log_entry_id as number, d);

    should([...delivered.values()].some((d) => d.meta?.field_data_type === 'multi_entity')).be.true();
    const rows = await cs
      .client()
      .search(EVENT_LOG, { filters: [['id', 'greater_than', before]], fields: [...EVENT_FIELDS], sort: 'id' });
    const operations = new Set<string>();
    for (const row of rows) {
      const webhook = delivered.get(row.id);
      if (!webhook) continue;
      const event = logEventOf(row);
      should(event).not.be.undefined();
      const payload = event?.delivery as Delivery;
      for (const key of [
        'event_log_entry_id',
        'event_type',
        'operation',
        'attribute_name',
        'session_uuid',
        'meta',
      ] as const) {
        should(payload[key]).eql(webhook[key], `${key} of ${row.event_type as string}`);
      }
      for (const key of ['entity', 'project', 'user'] as const)
        should(bare(payload[key])).eql(bare(webhook[key]), `${key} of ${row.event_type as string}`);
      should(Date.parse(payload.created_at as string))
        .be.a.Number()
        .and.not.be.NaN();
      operations.add(payload.operation as string);
      delivered.delete(row.id);
    }
    should(delivered.size).eql(0);
    should([...operations].sort()).eql(['create', 'delete', 'revive', 'update']);
  });

  it('operation from the event type when meta has no type, none for other events', () => {
    should(operationOf('Shotgun_Task_Revival', {})).eql('revive');
    should(operationOf('Shotgun_Task_Retirement', undefined)).eql('delete');
    should(operationOf('Toolkit_Folders_Create', { type: 'something' })).be.null();
    should(operationOf('Shotgun_User_Login', undefined)).be.null();
    const event = logEventOf({
      type: 'EventLogEntry',
      id: 7,
      event_type: 'Toolkit_Folders_Create',
      meta: { paths: ['/x'] },
      entity: null,
      project: null,
      user: null,
      created_at: null,
    });
    should(event?.delivery).eql({
      event_log_entry_id: 7,
      event_type: 'Toolkit_Folders_Create',
      session_uuid: null,
      user: null,
      entity: null,
      project: null,
      attribute_name: null,
      meta: { paths: ['/x'] },
    });
    should(event?.createdMs).be.NaN();
  });

  it('rows that are not events are refused, not guessed at', () => {
    const bad: FlatRecord[] = [
      { type: 'EventLogEntry', id: 0, event_type: 'x' },
      { type: 'EventLogEntry', id: 1.5, event_type: 'x' },
      { type: 'EventLogEntry', id: 3 },
      { type: 'EventLogEntry', id: 3, event_type: 42 },
    ];
    for (const row of bad) should(logEventOf(row)).be.undefined();
    // Links that are not links read as null; a meta that is not an object is left out.
    const odd = logEventOf({
      type: 'EventLogEntry',
      id: 4,
      event_type: 'Shotgun_Task_Change',
      entity: 'Task 5',
      project: { type: 'Project' },
      user: [],
      meta: 'text',
    });
    should(odd?.delivery).containEql({ entity: null, project: null, user: null });
    should(odd?.delivery).not.have.property('meta');
  });

  it('the message: topic and msg.fptr as the contract says, with what fptr-acknowledge needs', () => {
    const event = logEventOf({
      type: 'EventLogEntry',
      id: 12,
      event_type: 'Shotgun_Task_Change',
      created_at: '2024-05-02T10:11:11Z',
      meta: { type: 'attribute_change' },
    });
    const msg = eventLogMessage(event as NonNullable<typeof event>, {
      siteUrl: 'https://site.example.com',
      eventsNode: 'n1',
      ticket: 'abc.1',
      attempt: 1,
      receivedAt: '2024-05-02T10:11:12.000Z',
    });
    should(msg.topic).eql('Shotgun_Task_Change');
    should(msg.fptr).eql({
      source: 'event-log',
      eventId: 12,
      siteUrl: 'https://site.example.com',
      receivedAt: '2024-05-02T10:11:12.000Z',
      timestamp: '2024-05-02T10:11:11.000Z',
      batch: { size: 1, index: 0 },
      eventsNode: 'n1',
      ticket: 'abc.1',
      attempt: 1,
    });
    // Plain data only: Node-RED clones messages.
    should(structuredClone(msg)).eql(msg);
  });
});
