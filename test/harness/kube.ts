import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { inject } from 'vitest';
import type { ApiserverInfo } from '../bench/servers.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    apiserver: ApiserverInfo;
    toolsDir: string;
    registryBinary: string;
    apiserverBinary: string;
  }
}

/** The bench apiserver this test run shares (started once by the global set-up). */
export function bench(): ApiserverInfo {
  return inject('apiserver');
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** A raw request to the bench apiserver, as admin unless another token is given. */
export function api<T = Record<string, unknown>>(
  method: string,
  urlPath: string,
  options: { body?: unknown; token?: string; contentType?: string } = {},
): Promise<ApiResponse<T>> {
  return apiOn<T>(bench(), method, urlPath, options);
}

/** A raw request to one of several bench apiservers (the shared one, or one a test started), as admin by default. */
export function apiOn<T = Record<string, unknown>>(
  info: Pick<ApiserverInfo, 'server' | 'caFile' | 'adminToken'>,
  method: string,
  urlPath: string,
  options: { body?: unknown; token?: string; contentType?: string } = {},
): Promise<ApiResponse<T>> {
  const url = new URL(info.server + urlPath);
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: readFileSync(info.caFile),
        headers: {
          authorization: `Bearer ${options.token ?? info.adminToken}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          // Not every answer is JSON: a group version not served yet is a plain-text "404 page not found".
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body: body as T });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Creates a namespace with a unique name for one test (no namespace controller runs, so they are never reaped). */
export async function freshNamespace(prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const res = await api('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  if (res.status !== 201) throw new Error(`cannot create namespace ${name}: ${JSON.stringify(res.body)}`);
  return name;
}

/** Runs the bench kubectl with a kubeconfig (admin by default). */
export function kubectl(
  args: string[],
  options: { kubeconfig?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const kubeconfig = options.kubeconfig ?? bench().adminKubeconfig;
  return new Promise((resolve) => {
    const env = { ...process.env, ...options.env };
    const child = execFile(
      `${inject('toolsDir')}/kubectl`,
      ['--kubeconfig', kubeconfig, ...args],
      { maxBuffer: 64 << 20, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}
