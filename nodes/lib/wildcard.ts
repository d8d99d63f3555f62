/**
 * Glob-style name patterns as FPTR users write them (`Shotgun_Task_*`, `*_Change`): `*` stands for
 * any run of characters, everything else is literal and case-sensitive, like FPTR's own names.
 */

const REGEXP_SPECIALS = /[.+?^${}()|[\]\\]/g;

function patternSource(pattern: string): string {
  return pattern
    .split('*')
    .map((part) => part.replace(REGEXP_SPECIALS, '\\$&'))
    .join('.*');
}

/** One anchored regex for a whole list, so matching an event costs a single test. */
export function compileWildcards(patterns: readonly string[]): RegExp {
  if (patterns.length === 0) return /(?!)/;
  return new RegExp(`^(?:${patterns.map(patternSource).join('|')})$`);
}
