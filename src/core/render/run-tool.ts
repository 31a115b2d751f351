import { execa } from 'execa';
import { ToolError } from '../errors.js';
import { toolEnv } from './tool-env.js';

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs helm / kubectl / kustomize with an argument array (never a shell string) and captures its output. The tool gets
 * a minimal environment (toolEnv): it renders pull-request content, which must not see the runner's tokens.
 */
export async function runTool(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ToolResult> {
  const result = await execa(file, args, {
    cwd: options.cwd,
    env: toolEnv(options.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    maxBuffer: 1024 * 1024 * 1024,
    timeout: options.timeoutMs ?? 10 * 60_000,
    stripFinalNewline: false,
  });
  if (result.failed && result.exitCode === undefined && result.signal && !result.timedOut) {
    const stopped = new ToolError(`${file} ${args[0] ?? ''}: stopped by ${result.signal}`, {
      hint: 'something sent the tool a signal (a cancelled job, Ctrl-C); run kubeplan again',
    });
    stopped.signal = result.signal;
    throw stopped;
  }
  if (result.failed && result.exitCode === undefined) {
    const reason = result.timedOut
      ? `timed out after ${(options.timeoutMs ?? 600_000) / 1000}s`
      : (result.originalMessage ?? 'could not start');
    throw new ToolError(`${file} ${args[0] ?? ''}: ${reason}`, {
      hint: result.timedOut
        ? 'the tool hung; run the same command by hand to see why'
        : 'check that the binary runs on this machine',
    });
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 1 };
}
