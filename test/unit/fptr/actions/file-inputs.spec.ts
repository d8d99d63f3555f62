import should = require('should');
import {
  parseDisplayName,
  parseDownloadPath,
  parseRecordField,
  parseUploadFile,
  uploadFilename,
} from '../../../../lib/fptr/actions/file-inputs';
import { FileInputError } from '../../../../lib/fptr/files/file-input-error';

describe('files: what fptr-upload and fptr-download take from settings and messages', () => {
  it('takes a record and field, trimmed, with an id as a number or digits', () => {
    should(parseRecordField('Version', 12, ' sg_uploaded_movie ')).eql({
      entityType: 'Version',
      entityId: 12,
      field: 'sg_uploaded_movie',
    });
    should(parseRecordField('Shot', '7', 'image').entityId).eql(7);
  });

  it('refuses a bad id, field or entity type by name, with what it got', () => {
    const refused = (entity: unknown, id: unknown, field: unknown, message: RegExp): void => {
      should(() => parseRecordField(entity, id, field)).throw(message);
      should(() => parseRecordField(entity, id, field)).throw(FileInputError as never);
    };
    refused('Version', 0, 'image', /^id must be a positive whole number \(got 0\)$/);
    refused('Version', '1.5', 'image', /^id must be a positive whole number/);
    refused('Version', undefined, 'image', /^id must be a positive whole number \(got undefined\)$/);
    refused('Version', 1, 'sg_x/../y', /^field must be a field name such as sg_uploaded_movie or image/);
    refused('Version', 1, 3, /^field must be a field name/);
    should(() => parseRecordField('Ver sion', 1, 'image')).throw(/entity type must be/);
  });

  it('takes a path or the bytes of a Buffer, and nothing else', () => {
    should(parseUploadFile(' /renders/a.mov ')).eql({ path: '/renders/a.mov' });
    const bytes = Buffer.from('abc');
    should(parseUploadFile(bytes)).eql({ bytes });
    for (const bad of ['', '  ', 3, null, undefined, { path: '/a' }, [1, 2]]) {
      should(() => parseUploadFile(bad)).throw(/^file must be the path of a file or a Buffer \(got /);
    }
  });

  it('names the upload after the file, or for bytes after the display name', () => {
    should(uploadFilename({ path: '/renders/sh010 v3.mov' }, 'Comp v3')).eql('sh010 v3.mov');
    should(uploadFilename({ bytes: Buffer.alloc(1) }, 'still.png')).eql('still.png');
    should(uploadFilename({ bytes: Buffer.alloc(1) }, undefined)).eql('upload');
  });

  it('reads an empty display name as none and refuses one that is not text', () => {
    for (const none of [undefined, null, '', '   ']) should(parseDisplayName(none)).be.undefined();
    should(parseDisplayName(' Comp v3 ')).eql('Comp v3');
    should(() => parseDisplayName(5)).throw(/^display name must be text \(got 5\)$/);
  });

  it('takes a download path as text only', () => {
    should(parseDownloadPath(' /review/a.mov ')).eql('/review/a.mov');
    for (const bad of ['', ' ', 1, null, Buffer.from('/a')]) {
      should(() => parseDownloadPath(bad)).throw(/^file must be the path to write the download to \(got /);
    }
  });
});
