import { describe, expect, it } from 'vitest';
import {
  fencedBlock,
  guardLogLines,
  htmlText,
  inlineCode,
  markdownText,
  oneLine,
} from '../../src/core/report/escape.js';
import { SecretMask } from '../../src/core/report/secret-mask.js';

describe('text from a pull request in a log line', () => {
  it('stays on one line, control characters visible (no ESC for a GitLab section marker)', () => {
    expect(oneLine('a\n::warning::x\r\nb\u2028c')).toBe('a␤::warning::x␤b␤c');
    expect(oneLine('\u001b[0Ksection_start:1:x\r\u001b[0K')).toBe('␛[0Ksection_start:1:x␤␛[0K');
    expect(oneLine('tab\there')).toBe('tab\there');
  });

  it('no line of the log starts a workflow command, after the blanks the runner trims', () => {
    const guarded = guardLogLines('ok ::warning:: mid-line\n::warning::x\n    ::stop-commands::y\n##[error]z\n');
    for (const line of guarded.split('\n')) expect(line.trimStart()).not.toMatch(/^(::|##\[)/);
    expect(guarded.replaceAll('\u2060', '')).toBe(
      'ok ::warning:: mid-line\n::warning::x\n    ::stop-commands::y\n##[error]z\n',
    );
  });
});

describe('text from a pull request in markdown', () => {
  it('inline code is fenced by more backticks than any run inside and stays on one line', () => {
    expect(inlineCode('a```b\nc')).toBe('````a```b␤c````');
    expect(inlineCode('`x')).toBe('`` `x ``');
    expect(inlineCode('a|b', { table: true })).toBe('`a\\|b`');
  });

  it('a fenced block is closed only by its own fence', () => {
    const block = fencedBlock('x\n```\n# heading\n````', 'text');
    expect(block.split('\n')[0]).toBe('`````text');
    expect(block.split('\n').at(-1)).toBe('`````');
  });

  it('HTML is escaped, mentions are code, nothing leaves its line', () => {
    expect(htmlText('<img src=x> @octocat\n# h')).toBe('&lt;img src=x&gt; <code>@octocat</code>␤# h');
    expect(markdownText('[link](http://x) *b* | `c` @org/team')).toBe(
      '\\[link\\](http://x) \\*b\\* \\| \\`c\\` `@org/team`',
    );
    // After a word character @ mentions nobody: an instance (target@cluster) reads as it is.
    expect(markdownText('shop@prod-eu (@prod-eu)')).toBe('shop@prod-eu (`@prod-eu`)');
    expect(htmlText('shop@prod-eu @x')).toBe('shop@prod-eu <code>@x</code>');
  });
});

describe('SecretMask', () => {
  it('replaces every registered credential, its base64 and each line of a multi-line one', () => {
    const mask = new SecretMask();
    mask.add('ghs_token123');
    mask.add('-----BEGIN KEY-----\nMIIabcdef\n-----END KEY-----');
    mask.add('abc');
    const text = `t=ghs_token123 b=${Buffer.from('ghs_token123').toString('base64')} k=MIIabcdef short=abc`;
    expect(mask.mask(text)).toBe('t=*** b=*** k=*** short=abc');
  });
});
