import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from './tools.js';

/** The branding colours GitHub's metadata syntax allows (docs: metadata syntax, branding.color). */
export const brandingColors = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'];

/** The Feather icons GitHub's metadata syntax allows at branding.icon (the docs' exhaustive list, as actionlint has it). */
export const brandingIcons = `
activity airplay alert-circle alert-octagon alert-triangle align-center align-justify align-left align-right
anchor aperture archive arrow-down-circle arrow-down-left arrow-down-right arrow-down arrow-left-circle
arrow-left arrow-right-circle arrow-right arrow-up-circle arrow-up-left arrow-up-right arrow-up at-sign award
bar-chart-2 bar-chart battery-charging battery bell-off bell bluetooth bold book-open book bookmark box
briefcase calendar camera-off camera cast check-circle check-square check chevron-down chevron-left
chevron-right chevron-up chevrons-down chevrons-left chevrons-right chevrons-up circle clipboard clock
cloud-drizzle cloud-lightning cloud-off cloud-rain cloud-snow cloud code command compass copy corner-down-left
corner-down-right corner-left-down corner-left-up corner-right-down corner-right-up corner-up-left
corner-up-right cpu credit-card crop crosshair database delete disc dollar-sign download-cloud download droplet
edit-2 edit-3 edit external-link eye-off eye fast-forward feather file-minus file-plus file-text file film
filter flag folder-minus folder-plus folder gift git-branch git-commit git-merge git-pull-request globe grid
hard-drive hash headphones heart help-circle home image inbox info italic layers layout life-buoy link-2 link
list loader lock log-in log-out mail map-pin map maximize-2 maximize menu message-circle message-square mic-off
mic minimize-2 minimize minus-circle minus-square minus monitor moon more-horizontal more-vertical move music
navigation-2 navigation octagon package paperclip pause-circle pause percent phone-call phone-forwarded
phone-incoming phone-missed phone-off phone-outgoing phone pie-chart play-circle play plus-circle plus-square
plus pocket power printer radio refresh-ccw refresh-cw repeat rewind rotate-ccw rotate-cw rss save scissors
search send server settings share-2 share shield-off shield shopping-bag shopping-cart shuffle sidebar
skip-back skip-forward slash sliders smartphone speaker square star stop-circle sun sunrise sunset table tablet
tag target terminal thermometer thumbs-down thumbs-up toggle-left toggle-right trash-2 trash trending-down
trending-up triangle truck tv type umbrella underline unlock upload-cloud upload user-check user-minus
user-plus user-x user users video-off video voicemail volume-1 volume-2 volume-x volume watch wifi-off wifi
wind x-circle x-square x zap-off zap zoom-in zoom-out`
  .trim()
  .split(/\s+/);

export interface ActionMetadata {
  name: string;
  description: string;
  author?: string;
  branding?: { icon?: string; color?: string };
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

/** Every action.yml of the repository: the root action and one per command. */
export const actionFiles = [
  'action.yml',
  ...['plan', 'apply', 'drift', 'bump', 'rollback'].map((c) => `${c}/action.yml`),
];

export function loadAction(file: string): ActionMetadata {
  return load(readFileSync(path.join(repoRoot, file), 'utf8')) as ActionMetadata;
}

/**
 * What the Marketplace and the runner accept of a node action's metadata, as a list of problems (empty when valid):
 * name, a description under 125 characters, branding from GitHub's lists, inputs and outputs with descriptions,
 * runs with using node24 and a main file that exists.
 */
export function actionMetadataProblems(file: string, action: ActionMetadata): string[] {
  const problems: string[] = [];
  const known = ['name', 'description', 'author', 'branding', 'inputs', 'outputs', 'runs'];
  for (const key of Object.keys(action)) if (!known.includes(key)) problems.push(`${file}: unknown key ${key}`);
  if (typeof action.name !== 'string' || action.name === '') problems.push(`${file}: name is required`);
  if (typeof action.description !== 'string' || action.description === '')
    problems.push(`${file}: description is required`);
  else if (action.description.length >= 125)
    problems.push(`${file}: description is ${action.description.length} characters; the Marketplace takes < 125`);
  if (action.branding) {
    const { icon, color } = action.branding;
    if (icon !== undefined && !brandingIcons.includes(icon))
      problems.push(`${file}: branding.icon ${icon} not allowed`);
    if (color !== undefined && !brandingColors.includes(color))
      problems.push(`${file}: branding.color ${color} not allowed`);
  }
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) problems.push(`${file}: input ${name} is not kebab-case`);
    if (typeof input?.description !== 'string') problems.push(`${file}: input ${name} has no description`);
    for (const key of Object.keys(input ?? {}))
      if (!['description', 'required', 'default', 'deprecationMessage'].includes(key))
        problems.push(`${file}: input ${name} has unknown key ${key}`);
    if (input?.default !== undefined && typeof input.default !== 'string')
      problems.push(`${file}: input ${name} default is not a string`);
  }
  for (const [name, output] of Object.entries(action.outputs ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) problems.push(`${file}: output ${name} is not kebab-case`);
    if (typeof output?.description !== 'string') problems.push(`${file}: output ${name} has no description`);
    for (const key of Object.keys(output ?? {}))
      if (key !== 'description') problems.push(`${file}: output ${name} has unknown key ${key}`);
  }
  if (action.runs?.using !== 'node24') problems.push(`${file}: runs.using is ${action.runs?.using}, not node24`);
  for (const key of Object.keys(action.runs ?? {}))
    if (!['using', 'main', 'pre', 'post', 'pre-if', 'post-if'].includes(key))
      problems.push(`${file}: runs.${key} is not allowed for a node action`);
  if (typeof action.runs?.main !== 'string') problems.push(`${file}: runs.main is required`);
  return problems;
}
