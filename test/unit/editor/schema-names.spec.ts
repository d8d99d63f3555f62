import fc = require('fast-check');
import should = require('should');
import {
  complete,
  entityTypesOfEventTypes,
  eventTypeChoices,
  fieldsInData,
  fieldsInFilters,
  namesIn,
  unknownNames,
  unknownValues,
} from '../../../lib/editor/schema-names';
import { parseFields, parseSort } from '../../../lib/fptr/actions/find-options';

const TYPES = [{ name: 'Task' }, { name: 'Shot' }, { name: 'HumanUser', label: 'Person' }, { name: 'Version' }];
const LIST = { multi: true };
const SORT = { multi: true, prefix: /^-/ };

describe('schema pickers: what they offer and flag', () => {
  describe('complete', () => {
    it('offers the names containing what is typed, those starting with it first', () => {
      should(complete('s', TYPES).map((c) => c.name)).eql(['Shot', 'HumanUser', 'Task', 'Version']);
      should(complete('sh', TYPES).map((c) => c.value)).eql(['Shot']);
    });

    it('finds a name by its display name too', () => {
      should(complete('pers', TYPES)).eql([{ value: 'HumanUser', name: 'HumanUser', label: 'Person' }]);
    });

    it('completes the last item of a list and keeps the others as typed', () => {
      should(complete('Shot, ta', TYPES, LIST).map((c) => c.value)).eql(['Shot, Task']);
      should(complete('Shot,', TYPES, LIST).map((c) => c.value)).containEql('Shot,Task');
    });

    it("keeps a sort key's minus sign", () => {
      const fields = [{ name: 'updated_at' }, { name: 'id' }];
      should(complete('code, -upd', fields, SORT).map((c) => c.value)).eql(['code, -updated_at']);
    });

    it('offers everything for an empty field (the down arrow) and nothing once a name is complete', () => {
      should(complete('', TYPES)).have.length(TYPES.length);
      should(complete('Task', TYPES).map((c) => c.name)).eql([]);
    });
  });

  describe('namesIn and unknownNames', () => {
    it('reads the names as the runtime does', () => {
      const text = ' code, -updated_at ,,entity.Shot.code ';
      should(namesIn(text, SORT)).eql(['code', 'updated_at', 'entity.Shot.code']);
      // Same names as fptr-find reads (sort keys without their direction).
      should(namesIn('code, sg_status_list', LIST)).eql(parseFields('code, sg_status_list'));
      should(parseSort(text)).eql('code,-updated_at,entity.Shot.code');
    });

    it('flags each unknown name once, a dotted path by its first field, and never a pattern', () => {
      should(unknownNames(['Tsak', 'Task', 'Tsak', 'entity.Shot.code', 'sg_*', 'Cust?m'], ['Task', 'entity'])).eql([
        'Tsak',
      ]);
    });

    it('flags nothing that the site knows, for any list of known names', () => {
      fc.assert(
        fc.property(fc.array(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,20}$/)), (known) => {
          should(unknownNames(namesIn(known.join(', '), LIST), known)).eql([]);
        }),
      );
    });
  });

  describe('event types', () => {
    it('offers the four event types of each entity type and reads the type back', () => {
      const choices = eventTypeChoices([{ name: 'Task' }]).map((c) => c.name);
      should(choices).eql([
        'Shotgun_Task_New',
        'Shotgun_Task_Change',
        'Shotgun_Task_Retirement',
        'Shotgun_Task_Revival',
      ]);
      should(
        entityTypesOfEventTypes([...choices, 'Shotgun_Tsak_Change', 'Shotgun_*_Change', 'Webhook_Status_Change']),
      ).eql(['Task', 'Tsak']);
    });
  });

  describe('JSON settings', () => {
    it('reads the fields and values of fptr-find filters, groups and "in" lists included', () => {
      const filters = JSON.stringify({
        logical_operator: 'or',
        conditions: [
          ['sg_status_list', 'in', ['wtg', 'rdy']],
          { logical_operator: 'and', conditions: [['project', 'is', { type: 'Project', id: 1 }]] },
        ],
      });
      should(fieldsInFilters(filters)).eql([
        { field: 'sg_status_list', values: ['wtg', 'rdy'] },
        { field: 'project', values: [{ type: 'Project', id: 1 }] },
      ]);
      should(fieldsInFilters('[["sg_status_list", "is", "ip"]]')).eql([{ field: 'sg_status_list', values: ['ip'] }]);
    });

    it('reads the fields fptr-update sets, leaving templates out of the values', () => {
      should(fieldsInData('{"sg_status_list": "rdy", "description": 3, "sg_priority_1": "{{payload.p}}"}')).eql([
        { field: 'sg_status_list', values: ['rdy'] },
        { field: 'description', values: [3] },
        { field: 'sg_priority_1', values: [] },
      ]);
    });

    it('names nothing for JSON that does not parse or has another shape', () => {
      for (const text of ['', '{', '[1]', '"x"', '{"logical_operator": "AND", "conditions": []}'])
        should(fieldsInFilters(text)).eql([]);
      for (const text of ['', '[', '[1]', '"x"', 'null']) should(fieldsInData(text)).eql([]);
    });

    it('flags the text values of a field that its status list lacks', () => {
      const uses = fieldsInFilters('[["sg_status_list", "in", ["wtg", "rdyy", 3]], ["code", "is", "rdyy"]]');
      should(unknownValues(uses, 'sg_status_list', ['wtg', 'rdy'])).eql(['rdyy']);
    });

    it('never throws on any text', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
          fieldsInFilters(text);
          fieldsInData(text);
          complete(text, TYPES, SORT);
          namesIn(text, SORT);
        }),
      );
    });
  });
});
