import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  buildSearchOptions,
  parseEntityType,
  parseFields,
  parseRecordId,
  parseReturnOnly,
} from '../lib/fptr/actions/find-options';
import { coalesceWindow } from '../lib/fptr/bulk/coalesce-window';
import { ReadCoalescer } from '../lib/fptr/bulk/read-coalescer';
import { SearchCoalescer } from '../lib/fptr/bulk/search-coalescer';
import type { FlatRecord, FptrApi } from '../lib/fptr/client/api';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
import { propertyReader, type TypedValue } from '../lib/node-red/typed-input';

interface FindDef extends NodeDef {
  site: string;
  mode?: 'search' | 'read';
  entity: string;
  entityType?: string;
  entityId?: string;
  entityIdType?: string;
  filters?: string;
  filtersType?: string;
  fields?: string;
  fieldsType?: string;
  sort?: string;
  sortType?: string;
  limit?: string;
  limitType?: string;
  returnOnly?: string;
  output?: 'array' | 'split';
  property?: string;
  /** ms a message waits for others to share its request; 0 = off (lib/fptr/bulk/coalesce-window.ts). */
  coalesce?: number | string;
}

interface Found {
  records: FlatRecord[];
  /** Read by id: one record, sent as it is rather than in an array. */
  single: boolean;
}

const TYPE = 'fptr-find';

export = function (RED: NodeAPI) {
  function FptrFind(this: Node, config: FindDef): void {
    RED.nodes.createNode(this, config);
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, this);
    const prop = (value: string | undefined, type: string | undefined, fallbackType: string): TypedValue => ({
      value: value ?? '',
      type: type || fallbackType,
    });
    const property = config.property?.trim() || 'payload';
    const mode = config.mode === 'read' ? 'read' : 'search';
    const inputs = {
      entity: prop(config.entity, config.entityType, 'str'),
      entityId: prop(config.entityId ?? 'payload.entity.id', config.entityIdType, 'msg'),
      filters: prop(config.filters ?? '[]', config.filtersType, 'json'),
      fields: prop(config.fields, config.fieldsType, 'str'),
      sort: prop(config.sort, config.sortType, 'str'),
      limit: prop(config.limit ?? '0', config.limitType, 'num'),
    };
    // Translated once: a burst brings thousands of messages a second.
    const labels = Object.fromEntries(Object.keys(inputs).map((name) => [name, t(`property.${name}`)])) as Record<
      keyof typeof inputs,
      string
    >;
    const value = (msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> =>
      reader.evaluate(msg, inputs[name], labels[name]);
    const windowMs = coalesceWindow(config.coalesce);
    // Messages arriving within the window share requests; each still gets its own answer.
    let coalescers: { reads: ReadCoalescer; searches: SearchCoalescer } | undefined;
    const coalescing = (api: FptrApi): NonNullable<typeof coalescers> =>
      (coalescers ??= {
        reads: new ReadCoalescer(api, { windowMs: windowMs ?? 0 }),
        searches: new SearchCoalescer(api, { windowMs: windowMs ?? 0 }),
      });
    this.on('close', () => {
      coalescers?.reads.flush();
      coalescers?.searches.flush();
    });

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<Found> {
      const entityType = parseEntityType(await value(msg, 'entity'));
      const returnOnly = parseReturnOnly(config.returnOnly);
      if (mode === 'read') {
        const id = parseRecordId(await value(msg, 'entityId'), labels.entityId);
        const fields = parseFields(await value(msg, 'fields'));
        const record = await coalescing(api).reads.read(entityType, id, { fields, returnOnly });
        return { records: [record], single: true };
      }
      const options = buildSearchOptions({
        filters: await value(msg, 'filters'),
        fields: await value(msg, 'fields'),
        sort: await value(msg, 'sort'),
        limit: await value(msg, 'limit'),
        returnOnly,
      });
      return { records: await coalescing(api).searches.search(entityType, options), single: false };
    }

    function finish({ records, single }: Found, msg: NodeMessageInFlow): Finished {
      if (single) {
        const record = records[0] as FlatRecord;
        RED.util.setMessageProperty(msg, property, record, true);
        return { badge: dot('green', t('status.read', { type: record.type, id: record.id })), send: msg };
      }
      const badge = dot('green', t('status.found', { count: records.length }));
      if (config.output !== 'split') {
        RED.util.setMessageProperty(msg, property, records, true);
        return { badge, send: msg };
      }
      // Like the split node: a join node in automatic mode rebuilds the array.
      const id = RED.util.generateId();
      const perRecord: NodeMessage[] = records.map((record, index) => {
        const out = RED.util.cloneMessage(msg);
        RED.util.setMessageProperty(out, property, record, true);
        const parts = {
          id,
          index,
          count: records.length,
          type: 'array',
          len: 1,
          ...(msg.parts ? { parts: msg.parts } : {}),
        };
        return Object.assign(out, { parts });
      });
      return { badge, send: perRecord.length > 0 ? [perRecord] : undefined };
    }

    this.on(
      'input',
      actionNode({
        node: this,
        site: siteOf(RED, config.site),
        t,
        working: mode === 'read' ? 'status.reading' : 'status.searching',
        badConfig: windowMs === undefined ? { shared: 'bad-coalesce' } : undefined,
        run,
        finish,
      }),
    );
  }

  RED.nodes.registerType(TYPE, FptrFind);
};
