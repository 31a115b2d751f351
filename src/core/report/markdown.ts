import { load } from 'js-yaml';
import type { Change, Plan, TargetPlan } from '../diff/types.js';
import { describeNeed } from '../apply/preflight.js';
import {
  clusterLines,
  compactSummaryLine,
  hookRows,
  objectName,
  PRIORITY,
  sourceOf,
  SYMBOL,
  targetCounts,
  templateDiffTitle,
  toolVersionsLine,
} from './common.js';
import { escapeHtml, fencedBlock, htmlText, inlineCode, markdownText } from './escape.js';

// Everything from the pull request (kinds, names, file names, keys, messages) goes through escape.ts: inlineCode,
// htmlText (inside <summary>/<sub>), markdownText (cells, list items, notes) or a fence longer than its content.
export { escapeHtml };

/**
 * The pull-request body: summary line and a destroy/replace banner first, then a table per target, then one
 * collapsible section per changed object (digest, notes, diff). Sections are ordered by priority.
 */
export function formatPlanMarkdown(plan: Plan, options: SectionOptions = {}): string {
  return `${[...planHeader(plan, options), ...planSections(plan, options).flat(), planFooter(plan)].join('\n')}\n`;
}

/**
 * Whole bodies kubeplan shows in a comment or `-o markdown` at most: a created (or deleted) object whose YAML is larger
 * shows as its digest (kind, apiVersion, size; for a CRD group, versions and scope), and so does every created
 * CustomResourceDefinition, whose schema nobody reviews line by line. The job summary and the JSON report keep the text.
 */
export const BODY_BUDGET = 8 * 1024;

export interface SectionOptions {
  /** Show every diff in full (the job summary); by default large bodies collapse to their digest. */
  full?: boolean;
  /** Where a collapsed body's full text is (markdown), after "the full text is in". */
  fullTextHint?: string;
}

/** Title, destroy/replace banner and one table per target: what every comment part 1 starts with. */
export function planHeader(plan: Plan, options: SectionOptions = {}): string[] {
  // An intent diff read no cluster: the title says so, so nobody takes it for what the cluster would do.
  const intent = plan.mode === 'intent' && !plan.drift && plan.targets.length > 0 ? 'Intent diff, no cluster. ' : '';
  const out: string[] = [`### kubeplan: ${intent}${compactSummaryLine(plan.summary)}`, ''];
  if (plan.targets.length === 0) out.splice(0, 2, `### kubeplan: No changes: ${htmlText(plan.modeReason)}.`, '');
  else if (!hasAnyChange(plan)) {
    // The objects a canary adds come after the apply: a plan that starts one changes nothing yet, and says what comes.
    const starts = plan.targets.some((t) => t.canary?.start === 'start');
    out.splice(
      0,
      2,
      `### kubeplan: ${intent}No changes. ${plan.summary.unchanged} objects match ${plan.mode === 'intent' ? 'the base' : 'the cluster'}.${starts ? ' Merging this starts a canary.' : ''}`,
      '',
    );
  }
  const destroys = plan.targets
    .flatMap((t) => t.changes)
    .filter((c) => c.action === 'delete' || c.action === 'replace');
  if (destroys.length) {
    out.push(
      `> [!WARNING]`,
      `> This plan deletes or replaces ${destroys.length} object${destroys.length === 1 ? '' : 's'}: ${destroys
        .slice(0, 5)
        .map((c) => inlineCode(objectName(c)))
        .join(', ')}${destroys.length > 5 ? ', …' : ''}`,
      '',
    );
  }
  const lines = clusterLines(plan);
  if (lines.length) {
    out.push(
      ...lines.map(
        (l) =>
          `- cluster ${inlineCode(l.name)} (${htmlText(l.host)}): ${l.failed ? `**${markdownText(l.line)}**` : l.line}`,
      ),
      '',
    );
    const failed = plan.clusters?.filter((c) => c.error) ?? [];
    if (failed.length)
      out.push(
        '> [!CAUTION]',
        `> ${failed.length} cluster${failed.length === 1 ? '' : 's'} could not be planned: ${failed.map((c) => inlineCode(c.name)).join(', ')}; ${failed.length === 1 ? 'its' : 'their'} instances are not in this plan.${failed
          .filter((c) => c.error?.hint)
          .map((c) => ` ${inlineCode(c.name)}: ${markdownText(c.error!.hint!)}`)
          .join('')}`,
        '',
      );
  }
  const errors = plan.summary.error + (plan.drift?.summary.error ?? 0);
  if (errors)
    out.push(`> [!CAUTION]`, `> ${errors} object${errors === 1 ? '' : 's'} could not be planned; see below.`, '');
  out.push(...policyLines(plan));
  // Notices are kubeplan's own markdown; the values from the change in them are inline code already.
  for (const notice of plan.notices ?? []) out.push('> [!NOTE]', `> ${notice}`, '');
  if (plan.base) out.push(`What this change does, ${inlineCode(plan.base)} → head:`, '');
  out.push(...tables(plan.targets));
  out.push(...canaryLines(plan.targets, options.full ?? false));
  out.push(...missingRights(plan.targets));
  if (plan.drift) {
    const n = plan.drift.targets.reduce(
      (k, t) => k + t.changes.filter((c) => c.action !== 'unchanged' && c.action !== 'adopt').length,
      0,
    );
    out.push(
      `**Drift:** ${n} object${n === 1 ? '' : 's'} in the cluster already differ from ${inlineCode(plan.base ?? '')}.`,
      '',
    );
  }
  return out;
}

/** Policy errors (the plan fails) and policy warnings (a policy could not be checked): what, why and what to do. */
function policyLines(plan: Plan): string[] {
  return (plan.policy ?? []).flatMap((p) => [
    p.level === 'error' ? '> [!CAUTION]' : '> [!WARNING]',
    `> **Policy ${inlineCode(p.policy)}**, target ${inlineCode(p.target)}: ${markdownText(p.message)}`,
    `> _${markdownText(p.hint)}_`,
    '',
  ]);
}

/** The longest pod template diff a canary shows in a comment; the job summary and the JSON report have it all. */
export const CANARY_DIFF_BUDGET = 4 * 1024;

/**
 * Each canary target (but one whose template is the stable one): where its canary stands and what merging does to it,
 * and what a new canary runs (git's pod template against the stable one), folded.
 */
function canaryLines(targets: TargetPlan[], full: boolean): string[] {
  const out: string[] = [];
  for (const t of targets) {
    const canary = t.canary;
    if (!canary || canary.start === 'steady') continue;
    out.push(`**Canary** of ${inlineCode(t.target)}: ${markdownText(canary.note)}`, '');
    if (canary.templateDiff)
      out.push(
        `<details><summary>${htmlText(templateDiffTitle(canary).replace(/^./, (c) => c.toUpperCase()))}</summary>`,
        '',
        fencedBlock(full ? canary.templateDiff : cutLines(canary.templateDiff, CANARY_DIFF_BUDGET), 'diff'),
        '',
        '</details>',
        '',
      );
  }
  return out;
}

/** The first lines of `text` within `budget` characters, and how many lines were cut. */
function cutLines(text: string, budget: number): string {
  if (text.length <= budget) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > budget) break;
    kept.push(line);
    size += line.length + 1;
  }
  return `${kept.join('\n')}\n… ${lines.length - kept.length} more lines cut to fit; the full diff is in the job summary and in \`kubeplan diff -o json\``;
}

/** The apply this plan predicts would be refused: the rights it lacks, and the YAML that grants exactly them. */
function missingRights(targets: TargetPlan[]): string[] {
  const out: string[] = [];
  for (const t of targets) {
    const access = t.missingAccess;
    if (!access) continue;
    const n = access.missing.length;
    out.push(
      '> [!CAUTION]',
      `> Applying target ${inlineCode(t.target)} needs ${n} right${n === 1 ? '' : 's'} these credentials${access.user ? ` (${inlineCode(access.user)})` : ''} lack, so apply would refuse to start:`,
      ...access.missing.map((m) => `> - ${markdownText(describeNeed(m))}`),
      '',
      `<details><summary>Role and binding that grant exactly ${n === 1 ? 'it' : 'them'}</summary>`,
      '',
      fencedBlock(access.grant.trimEnd(), 'yaml'),
      '',
      '</details>',
      '',
    );
  }
  return out;
}

function hasAnyChange(plan: Plan): boolean {
  const s = plan.summary;
  return (
    s.create + s.update + s.replace + s.delete + s.adopt + s.error > 0 ||
    plan.drift?.targets.some((t) => t.changes.some((c) => c.action !== 'unchanged' && c.action !== 'adopt')) === true
  );
}

/**
 * One collapsible section per changed object, most destructive first; drift sections last. Each is a list of lines.
 * Objects that only join the inventory (adopt) get no section: the target's table lists them on one line.
 */
export function planSections(plan: Plan, options: SectionOptions = {}): string[][] {
  const ordered = (targets: TargetPlan[]) =>
    targets
      .flatMap((t) =>
        t.changes.filter((c) => c.action !== 'unchanged' && c.action !== 'adopt').map((c) => ({ c, t: t.target })),
      )
      .sort((a, b) => PRIORITY[a.c.action] - PRIORITY[b.c.action]);
  const sections = ordered(plan.targets).map(({ c, t }) =>
    section(c, plan.targets.length > 1 ? t : undefined, options),
  );
  if (plan.drift) {
    const drift = ordered(plan.drift.targets);
    if (drift.length)
      sections.push(
        [`#### Drift from ${inlineCode(plan.base ?? '')}`, '', ...section(drift[0]!.c, drift[0]!.t, options)],
        ...drift.slice(1).map(({ c, t }) => section(c, t, options)),
      );
  }
  return sections;
}

export function planFooter(plan: Plan): string {
  const tools = toolVersionsLine(plan.tools);
  return `<sub>mode: ${plan.drift ? `intent + ${plan.drift.mode} drift` : plan.mode} (${htmlText(plan.modeReason)})${tools ? ` · ${htmlText(tools)}` : ''}</sub>`;
}

const TABLE_ROWS = 100;

const UNCHANGED_NAMES = 50;

function tables(targets: TargetPlan[]): string[] {
  const out: string[] = [];
  // A target where nothing happens gets no heading and no table: they share one line at the end.
  const unchanged = targets.filter((t) => t.changes.every((c) => c.action === 'unchanged'));
  for (const target of targets) {
    if (unchanged.includes(target)) continue;
    const changed = target.changes
      .filter((c) => c.action !== 'unchanged' && c.action !== 'adopt')
      .sort((a, b) => PRIORITY[a.action] - PRIORITY[b.action]);
    out.push(`#### ${markdownText(target.target)} — ${targetCounts(target)}`, '');
    if (changed.length > 0) {
      out.push('| | object | what |', '| --- | --- | --- |');
      // Long tables would crowd out the sections; the rest of the objects still get their sections below.
      for (const c of changed.slice(0, TABLE_ROWS))
        out.push(
          `| ${SYMBOL[c.action]} ${c.action} | ${inlineCode(objectName(c), { table: true })} | ${markdownText(c.error ? c.error.message : c.digest.join('; ')) || ' '} |`,
        );
      if (changed.length > TABLE_ROWS) out.push(`| | … and ${changed.length - TABLE_ROWS} more | |`);
      out.push('');
    }
    out.push(...adopted(target));
    out.push(...hookTable(target));
  }
  if (unchanged.length) {
    const n = unchanged.length;
    const objects = unchanged.reduce((k, t) => k + t.summary.unchanged, 0);
    const names = unchanged
      .slice(0, UNCHANGED_NAMES)
      .map((t) => inlineCode(t.target))
      .join(', ');
    const more = n > UNCHANGED_NAMES ? ` and ${n - UNCHANGED_NAMES} more` : '';
    out.push(
      `${SYMBOL.unchanged} ${n} target${n === 1 ? '' : 's'} unchanged (${objects} object${objects === 1 ? '' : 's'}): ${names}${more}`,
      '',
    );
  }
  return out;
}

const ADOPT_NAMES = 50;

/** Objects that only join the target's inventory, on one line: on a first run that is every object, and no diff. */
function adopted(target: TargetPlan): string[] {
  const adopt = target.changes.filter((c) => c.action === 'adopt');
  if (adopt.length === 0) return [];
  const names = adopt
    .slice(0, ADOPT_NAMES)
    .map((c) => inlineCode(objectName(c)))
    .join(', ');
  const more = adopt.length > ADOPT_NAMES ? ` and ${adopt.length - ADOPT_NAMES} more` : '';
  return [
    `${SYMBOL.adopt} ${adopt.length} object${adopt.length === 1 ? '' : 's'} not managed by kubeplan yet join${adopt.length === 1 ? 's' : ''} the inventory (nothing else changes): ${names}${more}`,
    '',
  ];
}

/** Every Helm hook apply runs around the target's changes, in the order it runs them. */
function hookTable(target: TargetPlan): string[] {
  const hooks = hookRows(target);
  if (hooks.length === 0) return [];
  return [
    `Helm hooks apply runs when ${inlineCode(target.target)} changes:`,
    '',
    '| phase | weight | hook | deleted |',
    '| --- | --- | --- | --- |',
    ...hooks.map(
      (h) =>
        `| ${markdownText(h.events.join(', '))} | ${h.weight} | ${inlineCode(`${h.apiVersion} ${objectName(h)}`, { table: true })} | ${markdownText((h.deletePolicies.length ? h.deletePolicies : ['before-hook-creation']).join(', '))} |`,
    ),
    '',
  ];
}

export function section(c: Change, target?: string, options: SectionOptions = {}): string[] {
  const head = `${SYMBOL[c.action]} ${c.action} <code>${escapeHtml(objectName(c))}</code>${target ? ` (${htmlText(target)})` : ''}${c.digest.length ? ` — ${htmlText(c.digest[0]!)}` : ''}`;
  const body: string[] = [];
  const source = sourceOf(c);
  if (source) body.push(`Source: ${inlineCode(source)}`, '');
  if (c.digest.length > 1) body.push(...c.digest.map((d) => `- ${markdownText(d)}`), '');
  for (const n of c.notes ?? []) body.push(`> ${markdownText(n)}`, '');
  if (c.error)
    body.push(
      `**Error:** ${markdownText(c.error.message)}${c.error.hint ? `<br>_${markdownText(c.error.hint)}_` : ''}`,
      '',
    );
  const collapsed =
    c.diff && !options.full
      ? collapsedBody(c, options.fullTextHint ?? 'the job summary and in `kubeplan diff -o json`')
      : undefined;
  if (collapsed) body.push(...collapsed, '');
  else if (c.diff) body.push(fence(c.diff, 'diff'), '');
  return ['<details>', `<summary>${head}</summary>`, '', ...body, '</details>', ''];
}

/** A code fence that cannot be closed early by backticks inside the diff. */
export function fence(text: string, lang: string): string {
  return fencedBlock(text, lang);
}

/** The digest that stands for a body over the budget (or a created CRD), or undefined when the diff is shown. */
function collapsedBody(c: Change, hint: string): string[] | undefined {
  const whole = c.action === 'create' || c.action === 'delete';
  const crd = c.action === 'create' && c.kind === 'CustomResourceDefinition';
  if (!crd && !(whole && c.diff.length > BODY_BUDGET)) return undefined;
  // The diff of a whole object is its YAML with one `+`/`-` per line: its length is the object's size, near enough.
  const facts = [`${inlineCode(`${c.kind} ${c.apiVersion}`)}, ${(c.diff.length / 1024).toFixed(1)} KiB of YAML`];
  const spec =
    c.kind === 'CustomResourceDefinition'
      ? ((c.object ?? objectOfDiff(c))?.spec as { group?: unknown; scope?: unknown; versions?: unknown } | undefined)
      : undefined;
  if (spec) {
    const versions = Array.isArray(spec.versions) ? spec.versions.map((v: { name?: unknown }) => String(v?.name)) : [];
    facts.push(
      `group ${inlineCode(String(spec.group ?? ''))}`,
      `version${versions.length === 1 ? '' : 's'} ${versions.map((v) => inlineCode(v)).join(', ') || 'none'}`,
      `scope ${inlineCode(String(spec.scope ?? ''))}`,
    );
  }
  return [
    `${facts.join(' · ')}`,
    '',
    `_Body not shown (${crd ? 'a created CustomResourceDefinition' : `over ${BODY_BUDGET / 1024} KiB`}): the full text is in ${hint}._`,
  ];
}

/** The whole object a create or delete diff shows (an intent plan keeps no object): its lines without the sign. */
function objectOfDiff(c: Change): { spec?: unknown } | undefined {
  const sign = c.action === 'create' ? '+' : '-';
  const yaml = c.diff
    .split('\n')
    .filter((l) => l.startsWith(sign) && !l.startsWith(sign.repeat(3)))
    .map((l) => l.slice(1))
    .join('\n');
  try {
    const o = load(yaml);
    return typeof o === 'object' && o !== null ? (o as { spec?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
