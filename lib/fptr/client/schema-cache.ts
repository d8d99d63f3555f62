import { readEntityTypes, readFields, type SchemaEntityType, type SchemaField, type SchemaReads } from './schema';

/**
 * One site's schema, read once and kept until `refresh()`: schemas change rarely (fptr-api.md
 * §6.6), and every picker in every dialog asks for it. Callers asking at the same time share one
 * request; a failed read is not kept, so the next ask tries again.
 */
export class SchemaCache {
  readonly #reads: SchemaReads;
  #types: Promise<SchemaEntityType[]> | undefined;
  readonly #fields = new Map<string, Promise<SchemaField[]>>();
  /** Bumped by refresh(), so a read started before it cannot fill the cache after it. */
  #generation = 0;

  constructor(reads: SchemaReads) {
    this.#reads = reads;
  }

  entityTypes(): Promise<SchemaEntityType[]> {
    this.#types ??= this.#keep(this.#reads.readSchema().then(readEntityTypes), () => (this.#types = undefined));
    return this.#types;
  }

  /** The fields of one entity type, by its schema name. */
  fields(entityType: string): Promise<SchemaField[]> {
    let fields = this.#fields.get(entityType);
    if (!fields) {
      fields = this.#keep(this.#reads.readSchemaFields(entityType).then(readFields), () =>
        this.#fields.delete(entityType),
      );
      this.#fields.set(entityType, fields);
    }
    return fields;
  }

  /** Forgets everything: the next asks read the site again. */
  refresh(): void {
    this.#generation++;
    this.#types = undefined;
    this.#fields.clear();
  }

  /** Drops a failed read from the cache (unless a refresh already did). */
  #keep<T>(read: Promise<T>, forget: () => void): Promise<T> {
    const generation = this.#generation;
    return read.catch((err: unknown) => {
      if (generation === this.#generation) forget();
      throw err;
    });
  }
}
