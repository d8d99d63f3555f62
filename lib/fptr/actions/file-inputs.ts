import { basename } from 'node:path';
import { describeValue } from '../../util/describe-value';
import { entityId } from '../contract';
import { FileInputError } from '../files/file-input-error';
import { parseEntityType } from './find-options';

/**
 * Validates what `fptr-upload` and `fptr-download` get from their settings or the message,
 * before anything is sent, in words that name the setting.
 */

export interface RecordField {
  entityType: string;
  entityId: number;
  field: string;
}

export function parseRecordField(entity: unknown, id: unknown, field: unknown): RecordField {
  const recordId = entityId(id);
  if (recordId === undefined) throw new FileInputError(`id must be a positive whole number (got ${describeValue(id)})`);
  if (typeof field !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(field.trim())) {
    throw new FileInputError(
      `field must be a field name such as sg_uploaded_movie or image (got ${describeValue(field)})`,
    );
  }
  return { entityType: parseEntityType(entity), entityId: recordId, field: field.trim() };
}

export type UploadFile = { path: string } | { bytes: Buffer };

/** A path of a file on this machine, or the bytes themselves (a Buffer from a message). */
export function parseUploadFile(value: unknown): UploadFile {
  if (Buffer.isBuffer(value)) return { bytes: value };
  if (typeof value === 'string' && value.trim() !== '') return { path: value.trim() };
  throw new FileInputError(`file must be the path of a file or a Buffer (got ${describeValue(value)})`);
}

/** An empty display name means none (FPTR shows the file name). */
export function parseDisplayName(value: unknown): string | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  if (typeof value !== 'string') throw new FileInputError(`display name must be text (got ${describeValue(value)})`);
  return value.trim();
}

/** The name FPTR keeps: the file's own name, or for bytes the display name. */
export function uploadFilename(file: UploadFile, displayName: string | undefined): string {
  return 'path' in file ? basename(file.path) : (displayName ?? 'upload');
}

export function parseDownloadPath(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new FileInputError(`file must be the path to write the download to (got ${describeValue(value)})`);
}
