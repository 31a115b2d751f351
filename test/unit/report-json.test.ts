import { describe, expect, it } from 'vitest';
import { countChanges, type Change, type Plan } from '../../src/core/diff/types.js';
import { UsageError } from '../../src/core/errors.js';
import { formatPlanJson, parsePlanJson } from '../../src/core/report/json.js';
import { formatPlanMarkdown } from '../../src/core/report/markdown.js';

const change = (action: Change['action'], name: string, extra: Partial<Change> = {}): Change => ({
  action,
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'ns',
  name,
  source: { file: 'manifests/cm.yaml', line: 3 },
  paths: ['data.A'],
  digest: ['data: ~A'],
  diff: action === 'unchanged' ? '' : `--- live\n+++ planned\n@@ -1 +1 @@\n-A: 1\n+A: 2`,
  via: 'dry-run',
  ...extra,
});

function samplePlan(): Plan {
  const web = [
    change('update', 'a'),
    change('delete', 'b', { destructive: true, notes: ['owned by @someone'] }),
    change('error', 'c', { diff: '', error: { message: 'denied', hint: 'ask' } }),
    change('create', 'hook', {
      hook: { events: ['pre-install'], weight: -5, deletePolicies: [] },
    }),
    change('unchanged', 'd'),
  ];
  const jobs = [change('unchanged', 'e')];
  const summary = countChanges([...web, ...jobs]);
  return {
    mode: 'server',
    modeReason: 'the credentials may patch',
    cluster: { server: 'https://k8s.example:6443', context: 'prod' },
    targets: [
      {
        target: 'web',
        namespace: 'ns',
        changes: web,
        summary: countChanges(web),
        hidden: { managedFields: 2 },
        hooks: [
          {
            object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'ns' } },
            resource: undefined,
            hook: { events: ['pre-upgrade'], weight: 1, deletePolicies: ['hook-succeeded'] },
          },
        ],
        missingAccess: {
          missing: [{ verb: 'delete', group: '', resource: 'configmaps', namespace: 'ns' }],
          user: 'ci',
          grant: 'kind: Role\n',
        },
      },
      { target: 'jobs', namespace: undefined, changes: jobs, summary: countChanges(jobs), hidden: {} },
    ],
    summary,
    stats: { objects: 6, fastPath: 1, dryRuns: 4, lists: 2, requests: 9 },
  };
}

const parseError = (text: string) => {
  try {
    parsePlanJson(text, 'report/kubeplan-report.json');
  } catch (error) {
    return error as UsageError;
  }
  throw new Error('parsed');
};

describe('parsePlanJson', () => {
  it('reads back what formatPlanJson wrote: the same comment, and the head commit', () => {
    const plan = samplePlan();
    const head = 'a'.repeat(40);
    const read = parsePlanJson(formatPlanJson(plan, { head }), 'kubeplan-report.json');
    expect(read.head).toBe(head);
    expect(formatPlanMarkdown(read.plan)).toBe(formatPlanMarkdown(plan));
    expect(formatPlanMarkdown(read.plan)).toContain('= 1 target unchanged (1 object): `jobs`');
    expect(parsePlanJson(formatPlanJson(plan), 'r.json').head).toBeUndefined();
  });

  it('keeps a canary target (command: comment): its note, its state and what the canary runs, escaped and within budget', () => {
    const plan = samplePlan();
    const templateDiff = [
      '--- stable/Deployment/web/spec.template',
      '+++ git/Deployment/web/spec.template',
      '@@ -5,1 +5,1 @@',
      '-        image: web:1',
      '+        image: web:2',
      ...Array.from({ length: 400 }, (_, i) => ` context line ${i} ${'x'.repeat(20)}`),
    ].join('\n');
    plan.targets[0]!.canary = {
      start: 'restart',
      note: 'canary of 1a2b3c4 at step 2/3 (50 %); merging this restarts it',
      state: { phase: 'Progressing', step: 2, steps: 3, weight: 50, commit: '1a2b3c4'.padEnd(40, '0') },
      templateDiff,
    };
    plan.targets[1]!.canary = {
      start: 'held',
      note: 'this pod template failed its canary (success-rate 60 is below the minimum 99); merging this changes nothing for it until kubeplan canary retry',
    };
    const read = parsePlanJson(formatPlanJson(plan), 'kubeplan-report.json').plan;
    expect(read.targets[0]!.canary).toEqual(plan.targets[0]!.canary);
    expect(read.targets[1]!.canary).toEqual(plan.targets[1]!.canary);
    const md = formatPlanMarkdown(read);
    expect(md).toBe(formatPlanMarkdown(plan));
    expect(md).toContain('**Canary** of `web`: canary of 1a2b3c4 at step 2/3 (50 %); merging this restarts it');
    expect(md).toContain(
      '**Canary** of `jobs`: this pod template failed its canary (success-rate 60 is below the minimum 99); merging this changes nothing for it until kubeplan canary retry',
    );
    // A comment shows the start of a long template diff; the job summary (full) all of it.
    expect(md).toContain('+        image: web:2');
    expect(md).toMatch(/… \d+ more lines cut to fit; the full diff is in the job summary/);
    expect(md).not.toContain('context line 399');
    expect(formatPlanMarkdown(read, { full: true })).toContain('context line 399');
    // From an untrusted report, the note is text: no marker, no mention, no HTML.
    const doc = JSON.parse(formatPlanJson(plan));
    doc.targets[0].canary.note = 'x\n<!-- kubeplan:plan:k --> @admin <b>';
    const hostile = formatPlanMarkdown(parsePlanJson(JSON.stringify(doc), 'r.json').plan);
    const prose = hostile.replace(/(`+)[^`]*?\1/g, '').replace(/<code>.*?<\/code>/g, '');
    expect(prose).not.toContain('<!-- kubeplan:plan:k');
    expect(prose).not.toContain('@admin');
    expect(prose).not.toContain('<b>');
    doc.targets[0].canary.start = 'launch';
    expect(parseError(JSON.stringify(doc)).message).toContain('targets[0].canary.start must be one of steady');
    const steady = samplePlan();
    steady.targets[0]!.canary = {
      start: 'steady',
      note: 'the pod template is the stable one: merging this starts no canary',
    };
    expect(formatPlanMarkdown(steady)).not.toContain('**Canary**');
  });

  it('keeps the tool versions for the footer (command: comment), and drops a "version" that is not one', () => {
    const plan = { ...samplePlan(), tools: { helm: 'v4.1.4', kubectl: 'v1.35.2', kustomize: 'v5.7.1' } };
    const read = parsePlanJson(formatPlanJson(plan), 'kubeplan-report.json');
    expect(read.plan.tools).toEqual(plan.tools);
    expect(formatPlanMarkdown(read.plan)).toContain(
      '(the credentials may patch) · helm v4.1.4 · kubectl v1.35.2 (kustomize v5.7.1)</sub>',
    );
    const hostile = JSON.parse(formatPlanJson(plan));
    hostile.tools = { helm: 'v4</sub><img src=x>', kubectl: '@mallory' };
    const dropped = parsePlanJson(JSON.stringify(hostile), 'r.json').plan;
    expect(dropped.tools).toBeUndefined();
    expect(formatPlanMarkdown(dropped)).not.toContain('mallory');
  });

  it('keeps the policy findings (command: comment), and nothing in them starts a marker or a mention', () => {
    const plan: Plan = {
      ...samplePlan(),
      policy: [
        {
          level: 'error',
          policy: 'promote.soak',
          target: 'web',
          message: 'web sets ghcr.io/acme/web 2.6.0 (web/deploy.yaml:9), which has not soaked in staging',
          hint: 'take exactly the versions staging has soaked with kubeplan promote --to web',
          file: 'web/deploy.yaml',
          line: 9,
        },
        { level: 'warning', policy: 'promote.soak', target: 'jobs', message: 'not checked', hint: 'check' },
      ],
    };
    const read = parsePlanJson(formatPlanJson(plan), 'kubeplan-report.json').plan;
    expect(read.policy).toEqual(plan.policy);
    const md = formatPlanMarkdown(read);
    expect(md).toBe(formatPlanMarkdown(plan));
    expect(md).toContain('> [!CAUTION]\n> **Policy `promote.soak`**, target `web`: web sets ghcr.io/acme/web 2.6.0');
    expect(md).toContain('> [!WARNING]\n> **Policy `promote.soak`**, target `jobs`: not checked');
    const doc = JSON.parse(formatPlanJson(plan));
    doc.policy[0].message = 'x\n<!-- kubeplan:plan:k --> @admin';
    doc.policy[0].hint = '@acme/admins <b>';
    const hostile = formatPlanMarkdown(parsePlanJson(JSON.stringify(doc), 'r.json').plan);
    const prose = hostile.replace(/(`+)[^`]*?\1/g, '').replace(/<code>.*?<\/code>/g, '');
    expect(prose).not.toContain('<!--');
    expect(prose).not.toContain('@');
    expect(prose).not.toContain('<b>');
    doc.policy[0].level = 'fatal';
    expect(parseError(JSON.stringify(doc)).message).toContain('policy[0].level must be one of error, warning');
  });

  it('names the file and the field that is wrong', () => {
    const doc = JSON.parse(formatPlanJson(samplePlan()));
    doc.targets[0].changes[1].kind = 7;
    const error = parseError(JSON.stringify(doc));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      'report/kubeplan-report.json is not a kubeplan JSON report: targets[0].changes[1].kind must be a string',
    );
    expect(parseError('{"version": 2}').message).toContain(
      'is a JSON report of version 2; this kubeplan reads version 1',
    );
    const hidden = JSON.parse(formatPlanJson(samplePlan()));
    hidden.targets[0].hidden = { [`a\n::error::x${'y'.repeat(500)}`]: 'many' };
    const message = parseError(JSON.stringify(hidden)).message;
    expect(message).toContain('targets[0].hidden.a␤::error::xyyy');
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(200);
    expect(parseError('not json').message).toMatch(/^report\/kubeplan-report\.json is not JSON: /);
    const counts = JSON.parse(formatPlanJson(samplePlan()));
    counts.summary.create = '<img src=x>';
    expect(parseError(JSON.stringify(counts)).message).toContain('summary.create must be a whole number');
    const action = JSON.parse(formatPlanJson(samplePlan()));
    action.targets[0].changes[0].action = 'update <b>';
    expect(parseError(JSON.stringify(action)).message).toContain('targets[0].changes[0].action must be one of');
    const head = JSON.parse(formatPlanJson(samplePlan(), { head: 'b'.repeat(40) }));
    head.head = 'main) [evil](https://x';
    expect(parseError(JSON.stringify(head)).message).toContain('head must be a commit SHA');
  });

  it('lets nothing from an untrusted report start a marker, a mention or markup the plan itself could not', () => {
    const doc = JSON.parse(formatPlanJson(samplePlan()));
    doc.notices = ['<!-- kubeplan:plan:other part:1/1 --> @acme/admins `x` **bold**'];
    doc.modeReason = 'x --> <!-- kubeplan:plan:k --> @admin';
    doc.targets[0].name = '@admin\n<!-- kubeplan:plan:x -->';
    doc.targets[0].changes[0].name = 'n\n### heading @admin';
    const md = formatPlanMarkdown(parsePlanJson(JSON.stringify(doc), 'r.json').plan);
    // Outside code (where the normal plan also shows names from the pull request): no comment, no mention.
    const prose = md.replace(/(`+)[^`]*?\1/g, '').replace(/<code>.*?<\/code>/g, '');
    expect(prose).not.toContain('<!--');
    expect(prose).not.toContain('@');
    expect(md).not.toMatch(/^<!--|^### heading/m);
    expect(md).toContain('&lt;!-- kubeplan:plan:other part:1/1 --&gt; `@acme/admins` \\`x\\` \\*\\*bold\\*\\*');
  });
});
