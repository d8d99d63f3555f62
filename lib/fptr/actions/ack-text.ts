/**
 * Fits an acknowledgement into FPTR's limit, which counts UTF-8 bytes, not characters
 * (docs/fptr-api.md §4.1: 4097 bytes → 400). Cuts only between code points, so the stored text stays
 * valid UTF-8 and a surrogate pair (emoji) is never halved.
 */

export const ACK_MAX_BYTES = 4096;
export const TRUNCATION_MARKER = '…[truncated]';

export interface FittedText {
  text: string;
  truncated: boolean;
  /** UTF-8 size of `text`. */
  bytes: number;
  /** UTF-8 size before truncation. */
  originalBytes: number;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut between code points. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let cut = Math.max(0, maxBytes);
  // Step back over continuation bytes (10xxxxxx) to the start of the code point being cut.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}

/** Truncates `text` so that it, plus the marker, fits `maxBytes`. */
export function fitText(text: string, maxBytes = ACK_MAX_BYTES, marker = TRUNCATION_MARKER): FittedText {
  // Lone surrogates are stored as U+FFFD (3 bytes); normalising first keeps the count exact.
  const normal = Buffer.from(text, 'utf8').toString('utf8');
  const originalBytes = Buffer.byteLength(normal, 'utf8');
  if (originalBytes <= maxBytes) return { text: normal, truncated: false, bytes: originalBytes, originalBytes };
  const fitted = utf8Prefix(normal, maxBytes - Buffer.byteLength(marker, 'utf8')) + marker;
  return { text: fitted, truncated: true, bytes: Buffer.byteLength(fitted, 'utf8'), originalBytes };
}

type Leaf = { holder: Record<string, unknown> | unknown[]; key: string | number; value: string };

/** Every string in a parsed JSON document, in document order, walked without recursion (documents may nest deeply). */
function stringLeaves(root: unknown): Leaf[] {
  const out: Leaf[] = [];
  const pending: Array<Omit<Leaf, 'value'> & { value: unknown }> = [];
  const visit = (holder: unknown): void => {
    if (holder === null || typeof holder !== 'object') return;
    const container = holder as Record<string, unknown> | unknown[];
    const entries: Array<[string | number, unknown]> = Array.isArray(container)
      ? container.map((item, i) => [i, item])
      : Object.entries(container);
    for (let i = entries.length - 1; i >= 0; i--)
      pending.push({ holder: container, key: entries[i]![0], value: entries[i]![1] });
  };
  visit(root);
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    if (typeof entry.value === 'string') out.push({ ...entry, value: entry.value });
    else visit(entry.value);
  }
  return out;
}

/**
 * Fits a serialised JSON acknowledgement: when it is too big, shortens its longest strings (each
 * ending in the marker) so the result is still valid JSON. Only a document whose structure alone
 * exceeds the limit falls back to plain text truncation.
 */
export function fitJson(original: string, maxBytes = ACK_MAX_BYTES, marker = TRUNCATION_MARKER): FittedText {
  const originalBytes = Buffer.byteLength(original, 'utf8');
  if (originalBytes <= maxBytes) return { text: original, truncated: false, bytes: originalBytes, originalBytes };

  const copy: unknown = JSON.parse(original);
  const markerBytes = Buffer.byteLength(marker, 'utf8');
  const done = new Set<Leaf['value']>();
  // Escapes (\" \n \uXXXX) make JSON bytes differ from string bytes, so shrink and re-measure.
  for (let round = 0; round < 50; round++) {
    const text = JSON.stringify(copy);
    const excess = Buffer.byteLength(text, 'utf8') - maxBytes;
    if (excess <= 0) return { text, truncated: true, bytes: Buffer.byteLength(text, 'utf8'), originalBytes };
    const leaves = stringLeaves(copy).filter((leaf) => !done.has(leaf.value));
    if (leaves.length === 0) break;
    const longest = leaves.reduce((a, b) => (Buffer.byteLength(b.value) > Buffer.byteLength(a.value) ? b : a));
    const keep = Buffer.byteLength(longest.value, 'utf8') - excess - markerBytes;
    const shortened = keep > 0 ? utf8Prefix(longest.value, keep) + marker : marker;
    (longest.holder as Record<string | number, unknown>)[longest.key] = shortened;
    if (keep <= 0) done.add(shortened);
  }
  const fallback = fitText(original, maxBytes, marker);
  return { ...fallback, originalBytes };
}
