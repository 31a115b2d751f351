import { describe, expect, it } from 'vitest';
import { parseDocument, splitYamlStream, toObjects } from '../../src/core/manifests/parse-stream.js';

describe('splitYamlStream', () => {
  it("splits on --- lines and keeps each document's first content line and Helm source", () => {
    const docs = splitYamlStream(
      '---\n# Source: app/templates/a.yaml\nkind: A\n---\n\n---\nkind: B\n...\n---   # trailing comment\n\nkind: C\n',
    );
    expect(docs.map((d) => [d.contentLine, d.helmSource])).toEqual([
      [3, 'app/templates/a.yaml'],
      [7, undefined],
      [11, undefined],
    ]);
  });

  it('does not split on --- inside a line', () => {
    expect(splitYamlStream('a: "---"\nb: x---y\n')).toHaveLength(1);
  });

  it('reports YAML errors at the line in the file', () => {
    const [, second] = splitYamlStream('a: 1\n---\nb: 2\nc: [\n');
    expect(() => parseDocument(second!, (line) => ({ file: 'f.yaml', line }))).toThrow(/YAML syntax error/);
    try {
      parseDocument(second!, (line) => ({ file: 'f.yaml', line }));
    } catch (error) {
      expect((error as { where: string }).where).toMatch(/^f\.yaml:[45]$/);
    }
  });

  it('reads plain scalars as Kubernetes does (go-yaml v2): 0644 is octal, yes/on are true; dates and quoted text stay strings; merge keys work', () => {
    const [doc] = splitYamlStream(
      "a: 2024-01-01\nb: yes\nmode: 0644\nq: '0644'\nnum: 1_000\nf: 1e3\no: off\nbase: &b {x: 1}\nc:\n  <<: *b\n  z: 2\n",
    );
    expect(parseDocument(doc!, () => ({ file: 'f.yaml' }))).toEqual({
      a: '2024-01-01',
      b: true,
      mode: 420,
      q: '0644',
      num: 1000,
      f: 1000,
      o: false,
      base: { x: 1 },
      c: { x: 1, z: 2 },
    });
    // A key that YAML 1.1 reads as a boolean becomes "true", as kubectl makes it.
    expect(parseDocument(splitYamlStream('y: 1\n')[0]!, () => ({ file: 'f.yaml' }))).toEqual({ true: 1 });
  });
});

describe('toObjects', () => {
  const src = { file: 'f.yaml', line: 1 };
  it('skips empty documents and flattens any *List', () => {
    expect(toObjects(null, src, { file: 'f' })).toEqual([]);
    const list = {
      apiVersion: 'v1',
      kind: 'ConfigMapList',
      items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }],
    };
    expect(toObjects(list, src, { file: 'f' })).toHaveLength(1);
  });

  it('rejects documents that are not objects, naming what is missing', () => {
    expect(() => toObjects('just text', src, { file: 'f.yaml', line: 3 })).toThrow(
      /the text "just text", not a Kubernetes object/,
    );
    expect(() =>
      toObjects({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'x-' } }, src, { file: 'f' }),
    ).toThrow(/generateName is not supported/);
    expect(() => toObjects([1, 2], src, { file: 'f' })).toThrow(/a list, not a Kubernetes object/);
  });
});

describe('a YAML error at the end of a document points at the unclosed construct', () => {
  const whereOf = (text: string): string => {
    const [doc] = splitYamlStream(text);
    try {
      parseDocument(doc!, (line) => ({ file: 'f.yaml', line }));
    } catch (error) {
      return `${(error as { where: string }).where}: ${(error as Error).message}`;
    }
    return 'no error';
  };

  it('ignores brackets and quotes in comments and apostrophes inside words', () => {
    expect(whereOf("a: it's # [not open\nb: {x: 1, # }\n  y: 2\n\n")).toMatch(
      /^f\.yaml:2: .*`\{` mapping that starts on this line/,
    );
  });

  it('points at the outermost open collection, and at an open quote inside it', () => {
    expect(whereOf('a: 1\nb: [1,\n  {c: 2,\n')).toMatch(/^f\.yaml:2: .*`\[` sequence/);
    expect(whereOf("a: 1\nb: [1,\n  'it''s\n")).toMatch(/^f\.yaml:3: .*single-quoted string/);
  });

  it('a double-quoted string with escaped quotes is still open', () => {
    expect(whereOf('a: 1\nb: "say \\"hi\\"\n')).toMatch(/^f\.yaml:2: .*double-quoted string/);
  });
});
