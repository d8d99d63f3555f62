import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { parseDisplayName, parseRecordField, parseUploadFile, uploadFilename } from '../lib/fptr/actions/file-inputs';
import type { FptrApi } from '../lib/fptr/client/api';
import { bufferSource, fileSource } from '../lib/fptr/files/sources';
import {
  DEFAULT_MULTIPART_ABOVE_MB,
  DEFAULT_PART_SIZE_MB,
  MB,
  parseMultipartAbove,
  parsePartSize,
} from '../lib/fptr/files/transfer-settings';
import { uploadFile, type UploadResult } from '../lib/fptr/files/upload';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
import { TransferStatus } from '../lib/node-red/transfer-status';
import { configured, propertyReader } from '../lib/node-red/typed-input';

interface UploadDef extends NodeDef {
  site: string;
  entity?: string;
  entityType?: string;
  entityId?: string;
  entityIdType?: string;
  field?: string;
  fieldType?: string;
  file?: string;
  fileType?: string;
  displayName?: string;
  displayNameType?: string;
  multipartAbove?: string;
  multipartAboveType?: string;
  partSize?: string;
  partSizeType?: string;
}

const TYPE = 'fptr-upload';

export = function (RED: NodeAPI) {
  function FptrUpload(this: Node, config: UploadDef): void {
    RED.nodes.createNode(this, config);
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, this);
    const inputs = {
      entity: configured(config.entity, config.entityType, { value: 'Version', type: 'str' }),
      entityId: configured(config.entityId, config.entityIdType, { value: 'payload.id', type: 'msg' }),
      field: configured(config.field, config.fieldType, { value: 'sg_uploaded_movie', type: 'str' }),
      file: configured(config.file, config.fileType, { value: 'filename', type: 'msg' }),
      displayName: configured(config.displayName, config.displayNameType, { value: '', type: 'str' }),
      multipartAbove: configured(config.multipartAbove, config.multipartAboveType, {
        value: String(DEFAULT_MULTIPART_ABOVE_MB),
        type: 'num',
      }),
      partSize: configured(config.partSize, config.partSizeType, { value: String(DEFAULT_PART_SIZE_MB), type: 'num' }),
    };
    const value = (msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> =>
      reader.evaluate(msg, inputs[name], t(`property.${name}`));
    const progress = new TransferStatus(this, t, 'status.uploading');
    const closing = new AbortController();
    this.on('close', () => {
      closing.abort();
      progress.end();
    });

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<UploadResult> {
      const target = parseRecordField(
        await value(msg, 'entity'),
        await value(msg, 'entityId'),
        await value(msg, 'field'),
      );
      const file = parseUploadFile(await value(msg, 'file'));
      const displayName = parseDisplayName(await value(msg, 'displayName'));
      const multipartAboveBytes = parseMultipartAbove(await value(msg, 'multipartAbove'), t('property.multipartAbove'));
      const partSizeBytes = parsePartSize(await value(msg, 'partSize'), t('property.partSize'));
      const source = 'path' in file ? await fileSource(file.path) : bufferSource(file.bytes);
      try {
        // On a redeploy the node aborts its uploads; the site waits for those aborts to reach FPTR.
        return await api.finishBeforeClose(
          uploadFile(api, {
            ...target,
            source,
            filename: uploadFilename(file, displayName),
            displayName,
            multipartAboveBytes,
            partSizeBytes,
            onProgress: progress.begin(),
            signal: closing.signal,
          }),
        );
      } finally {
        progress.end();
      }
    }

    function finish(result: UploadResult, msg: NodeMessageInFlow): Finished {
      msg.payload = result.value;
      const size = (result.size / MB).toFixed(1);
      return { badge: dot('green', t('status.uploaded', { size })), send: msg };
    }

    this.on(
      'input',
      actionNode({ node: this, site: siteOf(RED, config.site), t, working: 'status.starting', run, finish }),
    );
  }

  RED.nodes.registerType(TYPE, FptrUpload);
};
