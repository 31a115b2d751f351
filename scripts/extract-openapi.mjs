// Extracts the few GitHub REST operations kubeplan uses from GitHub's published OpenAPI description (npm
// @octokit/openapi, dereferenced) into test/forge/github-openapi.json, which the local forge validates every request
// and response against. The package is ~400 MB, so it is fetched with `npm pack` when this script runs, not installed.
//   node scripts/extract-openapi.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '23.0.2';
/** How many object levels of a response schema are kept (see prune). */
const RESPONSE_DEPTH = 4;
const OPERATIONS = [
  'issues/list-comments',
  'issues/create-comment',
  'issues/get-comment',
  'issues/update-comment',
  'issues/delete-comment',
  'pulls/get',
  'repos/list-pull-requests-associated-with-commit',
  'repos/create-deployment',
  'repos/create-deployment-status',
  'issues/list-for-repo',
  'issues/create',
  'issues/update',
  'issues/add-labels',
  'pulls/list',
  'pulls/create',
  'pulls/update',
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-openapi-'));
try {
  execFileSync('npm', ['pack', `@octokit/openapi@${VERSION}`, '--silent'], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  execFileSync('tar', ['-xzf', `octokit-openapi-${VERSION}.tgz`, 'package/generated/api.github.com.deref.json'], {
    cwd: tmp,
  });
  const spec = JSON.parse(readFileSync(path.join(tmp, 'package/generated/api.github.com.deref.json'), 'utf8'));
  const operations = {};
  for (const [route, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!OPERATIONS.includes(op.operationId)) continue;
      const responses = {};
      for (const [status, res] of Object.entries(op.responses)) {
        const schema = res.content?.['application/json']?.schema;
        if (schema && status.startsWith('2')) responses[status] = prune(schema, RESPONSE_DEPTH);
        else if (status.startsWith('2')) responses[status] = null;
      }
      operations[op.operationId] = {
        method: method.toUpperCase(),
        route,
        request: op.requestBody?.content?.['application/json']?.schema
          ? prune(op.requestBody.content['application/json'].schema)
          : null,
        responses,
      };
    }
  }
  const missing = OPERATIONS.filter((o) => !operations[o]);
  if (missing.length) throw new Error(`not in the OpenAPI description: ${missing.join(', ')}`);
  const out = path.join(root, 'test/forge/github-openapi.json');
  // One operation per line: small, and a regenerated file diffs by operation.
  const lines = Object.entries(operations).map(([id, op]) => `  ${JSON.stringify(id)}: ${JSON.stringify(op)}`);
  writeFileSync(
    out,
    `{\n "source": ${JSON.stringify(`@octokit/openapi@${VERSION} generated/api.github.com.deref.json`)},\n "operations": {\n${lines.join(',\n')}\n }\n}\n`,
  );
  console.log(`wrote ${path.relative(root, out)}: ${Object.keys(operations).join(', ')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * Drops documentation-only keywords, keeping what validation needs. Response schemas are cut below `depth` object
 * levels (deeper values are accepted as they are): kubeplan reads nothing that deep, and GitHub's nested repository
 * and user objects would make the file ten times larger. Request schemas are kept whole.
 */
function prune(schema, depth = Infinity) {
  if (Array.isArray(schema)) return schema.map((s) => prune(s, depth));
  if (!schema || typeof schema !== 'object') return schema;
  if (depth <= 0) return {};
  const out = {};
  // OpenAPI 3.0's nullable only means something next to a type (JSON Schema validators reject it alone).
  const dropNullable = 'nullable' in schema && !('type' in schema);
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'nullable' && dropNullable) continue;
    if (['description', 'example', 'examples', 'title', 'externalDocs'].includes(k)) continue;
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, prune(s, depth - 1)]))
        : prune(v, k === 'items' ? depth - 1 : depth);
  }
  return out;
}
