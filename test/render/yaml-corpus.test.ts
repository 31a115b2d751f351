import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubectl } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { bare, helmBin, kubectlBin } from '../helpers/tools.js';

// Shapes of YAML streams found in real repositories, Helm output and Kustomize output. Each is read by kubectl (the
// anchor) and by `kubeplan render`: where kubectl accepts, kubeplan gives the same objects; where kubectl refuses (or
// silently drops objects), kubeplan refuses with file:line and a hint.
const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;
const indent = (text: string) => text.replace(/\n(?=.)/g, '\n  ');
const CONFIG = 'targets:\n  - name: app\n    namespace: corpus\n    manifests: m\n';

interface Picked {
  kind: string;
  name: string;
  data?: unknown;
}
const pick = (o: { kind: string; metadata: { name: string }; data?: unknown }): Picked => ({
  kind: o.kind,
  name: o.metadata.name,
  ...(o.data ? { data: o.data } : {}),
});

/** The objects kubectl reads from a stream (`kubectl create --dry-run=client -o json`, one JSON object per object). */
async function kubectlObjects(text: string | Buffer): Promise<{ code: number; objects: Picked[]; stderr: string }> {
  // Through a file, so that bytes reach kubectl as they are.
  const file = path.join(makeRepo({ 'f.yaml': '' }), 'f.yaml');
  writeFileSync(file, text);
  const result = await kubectl(['create', '--dry-run=client', '-o', 'json', '-f', file]);
  // `create` exits 1 on a stream without objects, a stream it read fine.
  if (result.code !== 0 && /^error: no objects passed to create\s*$/.test(result.stderr))
    return { code: 0, objects: [], stderr: result.stderr };
  const out = result.stdout.trim();
  const objects = out === '' ? [] : out.split(/\n(?=\{)/).map((json) => pick(JSON.parse(json)));
  return { code: result.code, objects, stderr: result.stderr };
}

async function kubeplanRender(text: string | Buffer) {
  const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'm/f.yaml': '' });
  writeFileSync(path.join(repo, 'm/f.yaml'), text);
  const result = await runCliAsync(['render', '-o', 'json'], { cwd: repo });
  const objects: { object: Picked & { metadata: { name: string } }; source?: { line?: number } }[] =
    result.code === 0 ? JSON.parse(result.stdout).targets[0].objects : [];
  return { ...result, objects: objects.map((o) => pick(o.object as never)), lines: objects.map((o) => o.source?.line) };
}

const accepted: Record<string, string> = {
  'a comment header before the first ---': `# Copyright header\n---\n${cm('a')}`,
  'a yaml-language-server schema line': `# yaml-language-server: $schema=https://example.com/schema.json\n---\n${cm('a')}`,
  'a comment-only document between objects': `${cm('a')}---\n# note\n---\n${cm('b')}`,
  'a comment-only document at the end': `${cm('a')}---\n# trailing note\n`,
  'a file holding only a comment': `# nothing here yet\n`,
  'an empty file': '',
  'empty documents anywhere': `---\n---\n${cm('a')}---\n\n---\n`,
  '--- with trailing comments': `--- # first\n${cm('a')}--- # second\n${cm('b')}`,
  '... document ends': `${cm('a')}...\n---\n${cm('b')}... # end\n`,
  'CRLF line ends': `# header\r\n---\r\n${cm('a')}---\r\n${cm('b', 'data:\r\n  k: v\r\n')}`.replace(
    /(?<!\r)\n/g,
    '\r\n',
  ),
  'CR line ends': cm('a').replace(/\n/g, '\r'),
  'a byte order mark': `\ufeff${cm('a')}`,
  'a byte order mark before a comment header': `\ufeff# header\n---\n${cm('a')}`,
  'tabs in comments': `#\tcomment\twith tabs\n${cm('a', 'data:\n  k: v\t# tab before a comment\n')}`,
  'a List': `apiVersion: v1\nkind: List\nitems:\n- ${indent(cm('a'))}- ${indent(cm('b'))}`,
  'a ConfigMapList': `apiVersion: v1\nkind: ConfigMapList\nitems:\n- ${indent(cm('a'))}`,
  'an empty List': 'apiVersion: v1\nkind: List\nitems: []\n',
  'documents holding only null': `null\n---\n${cm('a')}---\n~\n`,
  'a very long line': cm('a', `data:\n  k: ${'x'.repeat(1_000_000)}\n`),
  'a key given twice (the last wins)': cm('a', 'data:\n  k: one\n  k: two\n'),
  'metadata given twice (the last wins)':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nmetadata:\n  name: b\n',
  'anchors and merge keys': cm('a', 'base: &base {p: "1", q: "1"}\ndata:\n  <<: [*base, {r: "2"}]\n  q: "3"\n'),
  'YAML 1.1 scalars': cm(
    'a',
    'data:\n  mode: 0644\n  t: yes\n  o: off\n  n: 1_000\n  f: 1e3\n  date: 2024-01-01\n  q: "0644"\n  yes: y\n',
  ),
  'JSON in a .yaml file': '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}\n',
};

describe('YAML streams kubectl accepts, kubeplan accepts with the same objects', () => {
  for (const [shape, text] of Object.entries(accepted)) {
    it(shape, async () => {
      const theirs = await kubectlObjects(text);
      expect(theirs.code, theirs.stderr).toBe(0);
      const ours = await kubeplanRender(text);
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.objects).toEqual(theirs.objects);
    });
  }

  it('each item of a List names its own line', async () => {
    const ours = await kubeplanRender(
      `# header\napiVersion: v1\nkind: List\nitems:\n- ${indent(cm('a'))}-\n  ${indent(cm('b'))}`,
    );
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.objects.map((o) => o.name)).toEqual(['a', 'b']);
    expect(ours.lines).toEqual([5, 10]);
  });
});

// Each: the stream, the line kubeplan's error points at, and words of the message.
const refused: Record<string, [string | Buffer, number, RegExp]> = {
  'a List inside a List': [
    `apiVersion: v1\nkind: List\nitems:\n- ${indent(cm('a'))}- apiVersion: v1\n  kind: ConfigMapList\n  items:\n  - ${indent(indent(cm('b')))}`,
    8,
    /item 2 of the List is itself a ConfigMapList/,
  ],
  'an empty List item': [
    `apiVersion: v1\nkind: List\nitems:\n- ${indent(cm('a'))}- null\n`,
    8,
    /item 2 of the List is empty/,
  ],
  'a text after ---': [`${cm('a')}---x: 1\n`, 5, /starts with `---` followed by text/],
  'an unclosed [ at the end of a file': [
    cm('a', 'data:\n  k: [a, b\n'),
    6,
    /`\[` sequence that starts on this line is not closed/,
  ],
  'an unclosed quote at the end of a file': [
    cm('a', 'data:\n  k: "abc\n\n'),
    6,
    /double-quoted string that starts on this line is not closed/,
  ],
  'a %YAML directive': [`%YAML 1.1\n---\n${cm('a')}`, 1, /YAML syntax error/],
};

describe('YAML streams kubectl refuses, kubeplan refuses with file:line and a hint', () => {
  for (const [shape, [text, line, message]] of Object.entries(refused)) {
    it(shape, async () => {
      const theirs = await kubectlObjects(text);
      expect(theirs.code).not.toBe(0);
      const ours = await kubeplanRender(text);
      expect(ours.code).toBe(2);
      expect(ours.stderr).toMatch(message);
      expect(ours.stderr).toMatch(new RegExp(`m/f\\.yaml:${line}\\b`));
      expect(ours.stderr).toMatch(/hint: /);
    });
  }

  it('bytes that are not UTF-8: kubeplan refuses with file:line:column (the issue asks for a clear error; kubectl passes them on)', async () => {
    const ours = await kubeplanRender(
      Buffer.concat([Buffer.from(cm('a', 'data:\n  k: ')), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]),
    );
    expect(ours.code).toBe(2);
    expect(ours.stderr).toMatch(/m\/f\.yaml:6:6: the file is not valid UTF-8/);
    expect(ours.stderr).toMatch(/hint: save the file as UTF-8/);
  });

  it('content after a ... document end without ---: kubectl silently drops it, kubeplan refuses', async () => {
    const text = `${cm('a')}...\n${cm('b')}`;
    const theirs = await kubectlObjects(text);
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(theirs.objects.map((o) => o.name)).toEqual(['a']);
    const ours = await kubeplanRender(text);
    expect(ours.code).toBe(2);
    expect(ours.stderr).toMatch(/m\/f\.yaml:6: content after a `\.\.\.` document end/);
    expect(ours.stderr).toMatch(/hint: start the next document with a `---` line/);
  });
});

describe('Helm and Kustomize output with comment-only documents', () => {
  it('a chart whose templates render only comments, or a comment header, renders as helm template does', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: chart\n    namespace: corpus\n    helm:\n      chart: charts/c\n',
      'charts/c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'charts/c/templates/notes.yaml': '# only a comment\n{{- /* and a template comment */}}\n',
      'charts/c/templates/cms.yaml': `# header\n---\n${cm('a')}---\n# note\n---\n${cm('b')}`,
    });
    const theirs = bare(helmBin, ['template', 'r', 'charts/c'], repo);
    expect(theirs).toMatch(/^# only a comment$/m);
    const ours = await runCliAsync(['render', '-o', 'json'], { cwd: repo });
    expect(ours.code, ours.stderr).toBe(0);
    const names = JSON.parse(ours.stdout).targets[0].objects.map(
      (o: { object: { metadata: { name: string } } }) => o.object.metadata.name,
    );
    expect(names).toEqual([...theirs.matchAll(/^ {2}name: (\w+)$/gm)].map((m) => m[1]));
    expect(names.sort()).toEqual(['a', 'b']);
  });

  it('a Kustomize resource with a comment header and comment-only documents renders as kubectl kustomize does', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: k\n    namespace: corpus\n    kustomize: k\n',
      'k/kustomization.yaml':
        '# yaml-language-server: $schema=https://json.schemastore.org/kustomization.json\n---\nresources: [cms.yaml]\n',
      'k/cms.yaml': `# header\n---\n${cm('a')}---\n# note\n---\n${cm('b')}`,
    });
    const theirs = bare(kubectlBin, ['kustomize', 'k'], repo);
    const ours = await runCliAsync(['render', '-o', 'json'], { cwd: repo });
    expect(ours.code, ours.stderr).toBe(0);
    const names = JSON.parse(ours.stdout).targets[0].objects.map(
      (o: { object: { metadata: { name: string } } }) => o.object.metadata.name,
    );
    expect(names.sort()).toEqual([...theirs.matchAll(/^ {2}name: (\w+)$/gm)].map((m) => m[1]).sort());
    expect(names).toEqual(['a', 'b']);
  });
});
