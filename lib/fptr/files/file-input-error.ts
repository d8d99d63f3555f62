import { InputError } from '../../util/errors';

/** A file to send or a place to write that cannot be used, or transfer settings out of range. */
export class FileInputError extends InputError {}
