import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { apiRequest } from '../lib/fptr/actions/api-request';
import type { FptrApi, SiteAnswer } from '../lib/fptr/client/api';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
import { configured, propertyReader } from '../lib/node-red/typed-input';

interface RequestDef extends NodeDef {
  site: string;
  method?: string;
  methodType?: string;
  path?: string;
  pathType?: string;
  query?: string;
  queryType?: string;
  body?: string;
  bodyType?: string;
}

const TYPE = 'fptr-request';
/** The typedInput type whose value is one of the methods chosen in the editor. */
const METHOD_OPTION = 'method';

interface Outcome {
  method: string;
  answer: SiteAnswer;
}

export = function (RED: NodeAPI) {
  function FptrRequest(this: Node, config: RequestDef): void {
    RED.nodes.createNode(this, config);
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, this);
    const inputs = {
      method: configured(config.method, config.methodType, { value: 'GET', type: METHOD_OPTION }),
      path: configured(config.path, config.pathType, { value: '', type: 'str' }),
      query: configured(config.query, config.queryType, { value: '', type: 'json' }),
      body: configured(config.body, config.bodyType, { value: '', type: 'json' }),
    };
    const value = (msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> => {
      const input = inputs[name];
      if (input.type === METHOD_OPTION) return Promise.resolve(input.value);
      // An empty JSON box means nothing to send, not a JSON syntax error.
      if (input.type === 'json' && input.value.trim() === '') return Promise.resolve(undefined);
      return reader.evaluate(msg, input, t(`property.${name}`));
    };

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<Outcome> {
      const request = apiRequest({
        method: await value(msg, 'method'),
        path: await value(msg, 'path'),
        query: await value(msg, 'query'),
        body: await value(msg, 'body'),
      });
      return { method: request.method, answer: await api.siteRequest(request) };
    }

    function finish({ method, answer }: Outcome, msg: NodeMessageInFlow): Finished {
      msg.payload = answer.body ?? null;
      return { badge: dot('green', t('status.answered', { method, status: answer.status })), send: msg };
    }

    this.on(
      'input',
      actionNode({ node: this, site: siteOf(RED, config.site), t, working: 'status.sending', run, finish }),
    );
  }

  RED.nodes.registerType(TYPE, FptrRequest);
};
