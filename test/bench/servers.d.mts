import type { ChildProcess } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  match: RegExpMatchArray;
  stop(): Promise<void>;
}
export function startServerProcess(
  bin: string,
  args: string[],
  options: { ready: RegExp; logFile: string; timeoutMs: number; name: string },
): Promise<ServerProcess>;

/** What a running bench apiserver offers to tests and to `npm run cluster`. */
export interface ApiserverInfo {
  server: string;
  caFile: string;
  adminToken: string;
  limitedToken: string;
  adminKubeconfig: string;
  limitedKubeconfig: string;
  dataDir: string;
  /** Seconds from start to /readyz ok. */
  startupSeconds: number;
  pid: number | undefined;
}
export interface RunningApiserver extends ApiserverInfo {
  stop(): Promise<void>;
}
export function startApiserver(
  binary: string,
  options?: { dataDir?: string; extraFlags?: string[]; timeoutMs?: number; keepData?: boolean; logFile?: string },
): Promise<RunningApiserver>;

export function startBenchRegistry(
  binary: string,
  options: { dir: string; auth?: 'anonymous' | 'htpasswd' | 'token'; authArgs?: string[] },
): Promise<{ url: string; host: string; stop(): Promise<void> }>;
