import should = require('should');
import { SettingsError, parseEventLogSettings } from '../../../../lib/fptr/events/event-log-settings';

describe('fptr-events-in settings', () => {
  it('defaults: start now, every 5 s, pages of 500, 300 s gap window, ack, one in flight, retry 3 times', () => {
    should(parseEventLogSettings({})).eql({
      start: { kind: 'now' },
      intervalMs: 5000,
      pageSize: 500,
      filter: { eventTypes: [], projects: [], entityTypes: [] },
      gapWindowMs: 300_000,
      commit: 'ack',
      maxInFlight: 1,
      onFailure: 'retry',
      retries: 3,
    });
  });

  it('reads what the editor writes (numbers as text, lists as arrays) and hand-written text lists', () => {
    const s = parseEventLogSettings({
      start: 'id',
      startId: '812000',
      interval: '0.5',
      pageSize: '1000',
      gapWindow: '60',
      commit: 'emit',
      maxInFlight: '4',
      onFailure: 'stop',
      retries: '0',
      eventTypes: ['Shotgun_Task_*', ' Shotgun_Note_New '],
      projects: ['122', 123],
      entityTypes: 'Task, Note',
    });
    should(s).eql({
      start: { kind: 'id', id: 812_000 },
      intervalMs: 500,
      pageSize: 1000,
      gapWindowMs: 60_000,
      commit: 'emit',
      maxInFlight: 4,
      onFailure: 'stop',
      retries: 0,
      filter: {
        eventTypes: ['Shotgun_Task_*', 'Shotgun_Note_New'],
        projects: [122, 123],
        entityTypes: ['Task', 'Note'],
      },
    });
    should(parseEventLogSettings({ start: 'since', since: '2024-05-02T10:00:00Z' }).start).eql({
      kind: 'since',
      since: new Date('2024-05-02T10:00:00Z'),
    });
  });

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ start: 'yesterday' }, /start must be one of now, id, since/],
    [{ start: 'id' }, /startId is required/],
    [{ start: 'id', startId: '-1' }, /startId/],
    [{ start: 'since', since: 'May' }, /since must be an ISO date-time/],
    [{ start: 'since', since: '2024-13-45T99:00:00Z' }, /since/],
    [{ interval: '0' }, /interval/],
    [{ interval: 'soon' }, /interval/],
    [{ pageSize: 5001 }, /pageSize .* 1 to 5000/],
    [{ pageSize: 2.5 }, /pageSize must be a whole number/],
    [{ gapWindow: -1 }, /gapWindow/],
    [{ commit: 'later' }, /commit must be one of ack, emit/],
    [{ maxInFlight: 0 }, /maxInFlight/],
    [{ onFailure: 'ignore' }, /onFailure/],
    [{ retries: 1.5 }, /retries/],
    [{ eventTypes: [''] }, /eventTypes/],
    [{ eventTypes: {} }, /eventTypes must be a list/],
    [{ projects: ['Project 7'] }, /projects/],
    [{ projects: [0] }, /projects/],
    [{ entityTypes: ['Task; drop'] }, /entityTypes/],
    [{ eventTypes: Array.from({ length: 1001 }, () => 'x') }, /at most 1000/],
  ];
  for (const [raw, message] of bad) {
    it(`refuses ${JSON.stringify(raw).slice(0, 60)} by name`, () => {
      should(() => parseEventLogSettings(raw))
        .throw(SettingsError)
        .and.throw(message);
    });
  }
});
