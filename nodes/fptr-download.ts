import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { parseDownloadPath, parseRecordField } from '../lib/fptr/actions/file-inputs';
import type { FptrApi } from '../lib/fptr/client/api';
import { downloadToBuffer, downloadToFile, type Downloaded } from '../lib/fptr/files/download';
import { MB, parseVariant } from '../lib/fptr/files/transfer-settings';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
import { TransferStatus } from '../lib/node-red/transfer-status';
import { configured, propertyReader } from '../lib/node-red/typed-input';

interface DownloadDef extends NodeDef {
  site: string;
  entity?: string;
  entityType?: string;
  entityId?: string;
  entityIdType?: string;
  field?: string;
  fieldType?: string;
  variant?: string;
  variantType?: string;
  output?: string;
  file?: string;
  fileType?: string;
}

const TYPE = 'fptr-download';
/** The typedInput type whose value is one of the variants chosen in the editor. */
const VARIANT_OPTION = 'variant';
/** Largest file put into a message: Node-RED copies messages, and a Buffer this size is already a lot. */
const MAX_BUFFER_BYTES = 256 * MB;

type Result = Downloaded & ({ bytes: Buffer } | { path: string });

export = function (RED: NodeAPI) {
  function FptrDownload(this: Node, config: DownloadDef): void {
    RED.nodes.createNode(this, config);
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, this);
    const toFile = config.output === 'file';
    const inputs = {
      entity: configured(config.entity, config.entityType, { value: 'Version', type: 'str' }),
      entityId: configured(config.entityId, config.entityIdType, { value: 'payload.id', type: 'msg' }),
      field: configured(config.field, config.fieldType, { value: 'sg_uploaded_movie', type: 'str' }),
      variant: configured(config.variant, config.variantType, { value: 'original', type: VARIANT_OPTION }),
      file: configured(config.file, config.fileType, { value: 'filename', type: 'msg' }),
    };
    const value = (msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> =>
      inputs[name].type === VARIANT_OPTION
        ? Promise.resolve(inputs[name].value)
        : reader.evaluate(msg, inputs[name], t(`property.${name}`));
    const progress = new TransferStatus(this, t, 'status.downloading');
    const closing = new AbortController();
    this.on('close', () => {
      closing.abort();
      progress.end();
    });

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<Result> {
      const target = parseRecordField(
        await value(msg, 'entity'),
        await value(msg, 'entityId'),
        await value(msg, 'field'),
      );
      const variant = parseVariant(await value(msg, 'variant'));
      const path = toFile ? parseDownloadPath(await value(msg, 'file')) : undefined;
      const opts = { ...target, variant, onProgress: progress.begin(), signal: closing.signal };
      try {
        return path === undefined
          ? await downloadToBuffer(api, opts, MAX_BUFFER_BYTES)
          : await downloadToFile(api, opts, path);
      } finally {
        progress.end();
      }
    }

    function finish(result: Result, msg: NodeMessageInFlow): Finished {
      msg.payload = 'bytes' in result ? result.bytes : result.path;
      return { badge: dot('green', t('status.downloaded', { size: (result.size / MB).toFixed(1) })), send: msg };
    }

    this.on(
      'input',
      actionNode({ node: this, site: siteOf(RED, config.site), t, working: 'status.starting', run, finish }),
    );
  }

  RED.nodes.registerType(TYPE, FptrDownload);
};
