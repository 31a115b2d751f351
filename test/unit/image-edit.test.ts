import { describe, expect, it } from 'vitest';
import { applySplices, EditError } from '../../src/core/images/edit.js';

describe('byte-exact edits are proven by parsing again', () => {
  const text = '# comment\na: "1"   # keep\nb: 2\n';
  const at = text.indexOf('"1"');

  it('applies an edit that changes exactly the intended value, keeping every other byte', () => {
    expect(applySplices('f.yaml', text, [{ start: at, end: at + 3, text: '"3"', path: [0, 'a'], value: '3' }])).toBe(
      '# comment\na: "3"   # keep\nb: 2\n',
    );
  });

  it('refuses an edit that changes another value than it says, and one that breaks the YAML', () => {
    expect(() =>
      applySplices('f.yaml', text, [{ start: at, end: at + 3, text: '"3"', path: [0, 'b'], value: '3' }]),
    ).toThrow(EditError);
    expect(() =>
      applySplices('f.yaml', text, [{ start: at, end: at + 3, text: '"3', path: [0, 'a'], value: '3' }]),
    ).toThrow(/would break the YAML/);
  });

  it('an alias follows its anchor, as it does in the file', () => {
    const anchored = 'x: &v repo:1\ny: *v\n';
    const start = anchored.indexOf('repo:1');
    expect(
      applySplices('f.yaml', anchored, [{ start, end: start + 6, text: 'repo:2', path: [0, 'x'], value: 'repo:2' }]),
    ).toBe('x: &v repo:2\ny: *v\n');
  });
});
