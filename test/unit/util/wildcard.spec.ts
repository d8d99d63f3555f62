import should = require('should');
import fc = require('fast-check');
import { compileWildcards } from '../../../lib/util/wildcard';

const wildcardMatches = (pattern: string, name: string): boolean => compileWildcards([pattern])(name);

/** Textbook dynamic programme: pattern[0..i) matches name[0..j). Quadratic, obviously right. */
function referenceMatches(pattern: string, name: string): boolean {
  let row: boolean[] = Array.from({ length: name.length + 1 }, (_, j) => j === 0);
  for (const ch of pattern) {
    const next: boolean[] = new Array<boolean>(name.length + 1).fill(false);
    for (let j = 0; j <= name.length; j++) {
      if (ch === '*') next[j] = row[j]! || (j > 0 && next[j - 1]!);
      else next[j] = j > 0 && row[j - 1]! && name[j - 1] === ch;
    }
    row = next;
  }
  return row[name.length]!;
}

describe('wildcard patterns', () => {
  const cases: Array<[string, string, boolean]> = [
    ['Shotgun_Task_Change', 'Shotgun_Task_Change', true],
    ['Shotgun_Task_Change', 'Shotgun_Task_Changes', false],
    ['Shotgun_Task_*', 'Shotgun_Task_New', true],
    ['Shotgun_Task_*', 'Shotgun_Shot_New', false],
    ['*_Change', 'Shotgun_Shot_Change', true],
    ['*Task*', 'Task', true],
    ['*Task*', 'shotgun_task_change', false],
    ['Shotgun_*_*', 'Shotgun_Task_Change', true],
    ['Shotgun_*_*', 'Shotgun_Task', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['**', '', true],
    ['', '', true],
    ['', 'x', false],
    ['Task.(x)', 'Task.(x)', true],
    ['Task.(x)', 'TaskA(x)', false],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${JSON.stringify(name)} with ${JSON.stringify(pattern)}`, () => {
      should(wildcardMatches(pattern, name)).equal(expected);
    });
  }

  it('matches a name when any pattern of a list does, and nothing for an empty list', () => {
    const test = compileWildcards(['Shotgun_Shot_*', '*_Retirement']);
    should([test('Shotgun_Shot_New'), test('Shotgun_Task_Retirement'), test('Shotgun_Task_New')]).eql([
      true,
      true,
      false,
    ]);
    should(compileWildcards([])('')).be.false();
  });

  it('agrees with a reference matcher on arbitrary patterns and names', () => {
    const letters = fc.constantFrom('a', 'b', '_', '.', '(', '\\');
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(letters, fc.constant('*')), maxLength: 12 }),
        fc.string({ unit: letters, maxLength: 40 }),
        (pattern, name) => wildcardMatches(pattern, name) === referenceMatches(pattern, name),
      ),
      { numRuns: 2000 },
    );
  });

  it('answers at once for many stars against long names (no backtracking blow-up)', () => {
    // Against the regex this replaced, one of these names took seconds; 50 of them would take hours.
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('*', '_', 'a'), minLength: 5, maxLength: 16 }),
        fc.string({ unit: fc.constantFrom('_', 'a'), minLength: 2000, maxLength: 4000 }),
        (pattern, name) => wildcardMatches(pattern, name) === referenceMatches(pattern, name),
      ),
      { numRuns: 50 },
    );
  });
});
