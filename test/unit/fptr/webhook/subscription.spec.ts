import should = require('should');
import type { Delivery } from '../../../../lib/fptr/contract';
import {
  checkSubscription,
  entityEventOf,
  entityTypesBody,
  eventTypesOf,
  sameSubscription,
  subscriptionMatches,
  subscriptionOf,
  SubscriptionError,
  type HookSubscription,
} from '../../../../lib/fptr/webhook/subscription';
import { FptrSimulator } from '../../../../sim';
import { Consumer, deliveriesOf, SimHarness } from '../../../support/sim';

const { projectId, taskIds, shotIds } = FptrSimulator.DEMO;

describe('webhook subscription: checking', function () {
  it('reads the FPTR page vocabulary: one entity type, actions, update fields, projects', function () {
    checkSubscription({
      entityType: ' Task ',
      actions: { create: true, update: [' sg_status_list ', 'sg_status_list', 'due_date'], delete: [] },
      projects: ['12', 3],
    }).should.eql({
      entityType: 'Task',
      actions: { create: [], update: ['sg_status_list', 'due_date'], delete: [] },
      projects: [3, 12],
    });
  });
  it('leaves out actions set to false or null', function () {
    checkSubscription({
      entityType: 'Shot',
      actions: { create: false, update: null, revive: true },
    }).actions.should.eql({ revive: [] });
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 'Task', /must be an object/],
    ['a lower-case entity type', { entityType: 'task', actions: { create: true } }, /entity type name such as Task/],
    ['ApiUser', { entityType: 'ApiUser', actions: { create: true } }, /never sends webhooks for ApiUser/],
    [
      'a connection entity',
      { entityType: 'TaskDependencyConnection', actions: { create: true } },
      /never sends webhooks/,
    ],
    ['no action', { entityType: 'Task', actions: {} }, /at least one action/],
    [
      'retire (FPTR calls it delete)',
      { entityType: 'Task', actions: { retire: true } },
      /"retire" is not a webhook action/,
    ],
    ['fields on create', { entityType: 'Task', actions: { create: ['code'] } }, /only updates name fields/],
    ['a field that is not a name', { entityType: 'Task', actions: { update: ['Status!'] } }, /not a field name/],
    ['fields not in a list', { entityType: 'Task', actions: { update: 'code' } }, /must be a list of field names/],
    [
      'a project that is not an id',
      { entityType: 'Task', actions: { create: true }, projects: [0] },
      /not a project id/,
    ],
    [
      'projects not in a list',
      { entityType: 'Task', actions: { create: true }, projects: 5 },
      /must be a list of project ids/,
    ],
  ];
  for (const [label, input, error] of bad) {
    it(`refuses ${label}`, function () {
      should.throws(() => checkSubscription(input), SubscriptionError);
      should.throws(() => checkSubscription(input), error);
    });
  }
  it('writes the entity_types body and reads it back from a hook', function () {
    const sub = checkSubscription({
      entityType: 'Task',
      actions: { update: ['sg_status_list'], create: true },
      projects: [7],
    });
    entityTypesBody(sub).should.eql({ Task: { create: [], update: ['sg_status_list'] } });
    const back = subscriptionOf({ entity_types: entityTypesBody(sub), projects: [7] })!;
    sameSubscription(back, sub).should.be.true();
    should(subscriptionOf({ entity_types: { Task: { create: [] }, Shot: { create: [] } } })).be.undefined();
    should(subscriptionOf({ entity_types: undefined })).be.undefined();
    sameSubscription(back, { ...sub, projects: [] }).should.be.false();
    sameSubscription(back, { ...sub, actions: { create: [], update: [] } }).should.be.false();
  });
  it('names the event-log event types of a subscription', function () {
    eventTypesOf(
      checkSubscription({ entityType: 'Task', actions: { revive: true, create: true, update: [], delete: true } }),
    ).should.eql(['Shotgun_Task_New', 'Shotgun_Task_Change', 'Shotgun_Task_Retirement', 'Shotgun_Task_Revival']);
    entityEventOf('Shotgun_CustomEntity06_Change')!.should.eql({ entityType: 'CustomEntity06', action: 'update' });
    should(entityEventOf('Shotgun_User_Login')).be.undefined();
  });
});

/**
 * The backstop decides from the event log what a webhook should have delivered; it must decide
 * exactly as FPTR (here: the simulator) does, or it emits events the webhook never sends.
 */
describe("webhook subscription: matching agrees with the simulator's deliveries", function () {
  const harness = new SimHarness();
  const consumer = new Consumer();

  before(async function () {
    await consumer.listen();
    await harness.start({ webhookBatchWindowMs: 10 });
  });
  after(async function () {
    await harness.stop();
    await consumer.close();
  });

  const subscriptions: HookSubscription[] = [
    checkSubscription({ entityType: 'Task', actions: { update: ['sg_status_list'] } }),
    checkSubscription({ entityType: 'Task', actions: { create: true, update: [], delete: true, revive: true } }),
    checkSubscription({ entityType: 'Task', actions: { update: [] }, projects: [projectId] }),
    checkSubscription({ entityType: 'Shot', actions: { create: true, update: ['description'] } }),
  ];

  it('for creates, field changes (also during a create), retirements and revivals in two projects', async function () {
    const sim = harness.sim;
    const otherProject = sim.create('Project', { name: 'Other' });
    const hooks = subscriptions.map((sub, i) =>
      sim.createWebhook({
        url: `${consumer.url}?hook=${i}`,
        entity_types: entityTypesBody(sub),
        projects: sub.projects,
        batch_deliveries: true,
      }),
    );
    const taskId = taskIds['sh010/Animation'];
    sim.update('Task', taskId, { sg_status_list: 'ip' });
    sim.update('Task', taskId, { sg_status_list: 'fin', content: 'Anim v2' });
    const created = sim.create('Task', {
      content: 'new',
      sg_status_list: 'wtg',
      project: { type: 'Project', id: projectId },
    });
    const elsewhere = sim.create('Task', { content: 'other', project: { type: 'Project', id: otherProject.id } });
    sim.update('Task', elsewhere.id, { sg_status_list: 'ip' });
    sim.retire('Task', created.id);
    sim.revive('Task', created.id);
    sim.update('Shot', shotIds.sh010, { description: 'fog' });
    sim.create('Shot', { code: 'sh999', description: 'new', project: { type: 'Project', id: projectId } });
    await sim.whenDeliveriesSettled();

    const rows = sim
      .eventLog()
      .map((row) => ({ ...row, event_log_entry_id: row.id }) as unknown as Delivery & { id: number });
    rows.length.should.be.above(12);
    hooks.forEach((hook, i) => {
      const delivered = consumer.received
        .filter((d) => d.headers['x-sg-webhook-id'] === hook.id)
        .flatMap(deliveriesOf)
        .map((d) => d.event_log_entry_id)
        .sort((a, b) => a! - b!);
      const matched = rows.filter((row) => subscriptionMatches(subscriptions[i], row)).map((row) => row.id);
      delivered.should.not.be.empty();
      matched.should.eql(delivered, `hook ${i}: ${JSON.stringify(subscriptions[i])}`);
    });
  });
});
