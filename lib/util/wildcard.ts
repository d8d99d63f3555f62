/**
 * Glob-style name patterns as FPTR users write them (`Shotgun_Task_*`, `*_Change`): `*` stands for
 * any run of characters, everything else is literal and case-sensitive, like FPTR's own names.
 *
 * Names come from deliveries anyone can send, so matching must stay linear in the name: a regex
 * with several `.*` backtracks polynomially (`*_*_*x` against 3 KB of `_` took seconds). Instead
 * the literal pieces between stars are placed left to right at their first occurrence, which is
 * always the best choice when a star may absorb anything.
 */

/** Whether one name matches. */
export type NameTest = (name: string) => boolean;

interface Glob {
  /** The literal before the first star (the whole pattern when there is none). */
  head: string;
  /** The literal after the last star; undefined when the pattern has no star. */
  tail?: string;
  /** The non-empty literals between stars, in order. */
  middle: string[];
}

function compileGlob(pattern: string): Glob {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return { head: pattern, middle: [] };
  return {
    head: pieces[0] ?? '',
    tail: pieces[pieces.length - 1] ?? '',
    middle: pieces.slice(1, -1).filter((p) => p !== ''),
  };
}

function globMatches(glob: Glob, name: string): boolean {
  const { head, tail, middle } = glob;
  if (tail === undefined) return name === head;
  const end = name.length - tail.length;
  if (end < head.length || !name.startsWith(head) || !name.endsWith(tail)) return false;
  let at = head.length;
  for (const piece of middle) {
    const found = name.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** Compiles a list once; a name matches when any pattern does (none for an empty list). */
export function compileWildcards(patterns: readonly string[]): NameTest {
  const globs = patterns.map(compileGlob);
  return (name) => globs.some((glob) => globMatches(glob, name));
}
