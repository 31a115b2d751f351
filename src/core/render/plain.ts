import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestsSource, Target } from '../config/types.js';
import { RenderError, type FileWhere } from '../errors.js';
import { decodeUtf8, jsonTooDeepAt, depthProblem, UTF8_HINT } from '../manifests/input-limits.js';
import { listItemLines, parseDocument, sourcedObjects, splitYamlStream, toObjects } from '../manifests/parse-stream.js';
import type { Manifest } from '../manifests/types.js';
import { RepoBounds } from './repo-bounds.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Reads a folder of manifests: .yaml, .yml and .json files, recursively, in sorted order. */
export async function renderPlain(target: Target, source: ManifestsSource, repoRoot: string): Promise<Manifest[]> {
  const files = listManifestFiles(source.dir.abs, repoRoot, target);
  const manifests: Manifest[] = [];
  for (const file of files) {
    const rel = path.relative(repoRoot, file).split(path.sep).join('/');
    const text = decodeManifestText(await readFile(file), rel, file.endsWith('.json'), file);
    const at = (line: number): FileWhere => ({ file: rel, line, path: file });
    if (file.endsWith('.json')) {
      const where = at(1);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new RenderError(`invalid JSON: ${(error as Error).message}`, {
          where: at(jsonErrorLine(text, error as Error)),
          cause: error,
          hint: 'fix the JSON, or rename the file to .yaml if it is YAML',
        });
      }
      for (const object of toObjects(value, { file: rel, line: 1 }, where))
        manifests.push({ object, source: { file: rel, line: 1 } });
      continue;
    }
    for (const doc of splitYamlStream(text)) {
      const where = at(doc.contentLine);
      const value = parseDocument(doc, at);
      const src = { file: rel, line: doc.contentLine };
      // Each item of a List names its own line.
      const itemLines = listItemLines(doc, value);
      const item =
        itemLines && ((i: number) => ({ source: { file: rel, line: itemLines[i]! }, where: at(itemLines[i]!) }));
      for (const m of sourcedObjects(value, src, where, item)) manifests.push(m);
    }
  }
  return manifests;
}

/**
 * The manifest files below `dir`, with the path they are found under (a link keeps its own name). Links are followed
 * to files and folders inside the repository; a link out of it, into .git, or to nothing is an error, because a
 * skipped file would make apply prune its objects.
 */
function listManifestFiles(dir: string, repoRoot: string, target: Target): string[] {
  const bounds = new RepoBounds(repoRoot, { target: target.name });
  const files: string[] = [];
  const onPath = new Set<string>();
  const walk = (shownDir: string, realDir: string) => {
    // A folder linked into itself would never end; the same folder reached twice by different paths is read twice.
    if (onPath.has(realDir)) return;
    onPath.add(realDir);
    for (const entry of readdirSync(realDir, { withFileTypes: true })) {
      // Hidden files and folders (.git, .github) are not manifests.
      if (entry.name.startsWith('.')) continue;
      const shown = path.join(shownDir, entry.name);
      const isDir = entry.isDirectory();
      if (!isDir && !entry.isSymbolicLink() && !entry.isFile()) continue;
      if (!isDir && !EXTENSIONS.has(path.extname(entry.name).toLowerCase()) && !entry.isSymbolicLink()) continue;
      const real = bounds.check(path.join(realDir, entry.name), bounds.rel(shown))!;
      const stat = statSync(real);
      if (stat.isDirectory()) walk(shown, real);
      else if (stat.isFile() && EXTENSIONS.has(path.extname(entry.name).toLowerCase())) files.push(shown);
    }
    onPath.delete(realDir);
  };
  walk(dir, bounds.check(dir)!);
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function jsonErrorLine(text: string, error: Error): number {
  const line = /line (\d+)/.exec(error.message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(error.message);
  if (position) return text.slice(0, Number(position[1])).split('\n').length;
  return 1;
}

/**
 * A manifest file's text within the limits every input has, before any parser sees it: bytes that are not UTF-8, and
 * JSON nested too deep, are refused with file:line:column. (YAML's limits are checked as each document is parsed.)
 */
export function decodeManifestText(bytes: Uint8Array, rel: string, json: boolean, abs?: string): string {
  const decoded = decodeUtf8(bytes);
  if ('invalid' in decoded) {
    throw new RenderError('the file is not valid UTF-8', {
      where: { file: rel, line: decoded.invalid.line, column: decoded.invalid.column, path: abs },
      hint: UTF8_HINT,
    });
  }
  const deep = json ? jsonTooDeepAt(decoded.text) : undefined;
  if (deep)
    throw new RenderError(depthProblem().message, {
      where: { file: rel, line: deep.line, column: deep.column, path: abs },
      hint: depthProblem().hint,
    });
  return decoded.text;
}
