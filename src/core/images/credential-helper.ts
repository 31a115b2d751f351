import { execa } from 'execa';

/** How long a credential helper may take to answer (ECR's and GCR's ask their cloud, which takes a few seconds). */
export const HELPER_TIMEOUT_MS = 30_000;

/** What every docker-credential-helpers store prints (on stdout, exit 1) when it holds nothing for the server. */
const NOT_FOUND = 'credentials not found in native keychain';

/** A helper's name as config.json gives it: `ecr-login`, `gcloud`, `desktop`; never a path. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Which config.json entry names the helper: `credHelpers` for one host, `credsStore` for every other. */
export type HelperSource = 'credHelpers' | 'credsStore';

/** What a credential helper answered for one host. */
export type HelperAnswer =
  | { kind: 'credentials'; username: string; password: string }
  | { kind: 'none' }
  | { kind: 'failed'; message: string; hint: string };

/**
 * The server address Docker hands a helper for a registry host: Docker Hub's historical index URL (what `docker login`
 * stores it under), else the host itself.
 */
export function helperServerUrl(host: string): string {
  return host === 'registry-1.docker.io' ? 'https://index.docker.io/v1/' : host;
}

/**
 * Runs `docker-credential-<helper> get` with the server address on stdin (the docker-credential-helpers protocol) and
 * reads `{"ServerURL","Username","Secret"}` from stdout. "credentials not found" is no credentials (anonymous); a
 * helper that is missing, fails, hangs or prints something else is a failure naming the helper. The helper gets the
 * run's environment (ECR's and GCR's read the cloud credentials from it) and never a shell. Neither the answer nor
 * its secret is put into a message.
 */
export async function runCredentialHelper(
  helper: string,
  host: string,
  options: { env: NodeJS.ProcessEnv; source: HelperSource; configFile: string; timeoutMs?: number | undefined },
): Promise<HelperAnswer> {
  const binary = `docker-credential-${helper}`;
  const named =
    options.source === 'credHelpers'
      ? `${options.configFile} (credHelpers) leaves ${host} to ${binary}`
      : `${options.configFile} (credsStore) leaves every registry to ${binary}`;
  if (!HELPER_NAME.test(helper)) {
    return {
      kind: 'failed',
      message: `${options.configFile} names the credential helper "${helper.slice(0, 80)}", which is not a helper name`,
      hint: 'a helper is named by what follows docker-credential- (ecr-login, gcloud, acr-env); fix the Docker config',
    };
  }
  const timeoutMs = options.timeoutMs ?? HELPER_TIMEOUT_MS;
  // In its own process group, killed as a whole on timeout: a helper script's children (a cloud CLI it calls) would
  // otherwise keep its output open, and kubeplan waiting, after the helper itself is gone.
  const subprocess = execa(binary, ['get'], {
    env: options.env,
    extendEnv: false,
    input: helperServerUrl(host),
    reject: false,
    detached: true,
    maxBuffer: 1024 * 1024,
    stripFinalNewline: true,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (subprocess.pid !== undefined) process.kill(-subprocess.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  const result = await subprocess.finally(() => clearTimeout(timer));
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (timedOut || (result.failed && result.exitCode === undefined)) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') {
      return {
        kind: 'failed',
        message: `${binary} is not on PATH`,
        hint: `${named}: install ${binary} on the runner (or put it on PATH), give the credentials for ${host} in registry-auth, or remove the ${options.source} entry from the Docker config`,
      };
    }
    return {
      kind: 'failed',
      message: timedOut
        ? `${binary} get did not answer for ${host} within ${timeoutMs / 1000} s`
        : `${binary} get could not run for ${host} (${code ?? result.signal ?? result.shortMessage})`,
      hint: `${named}: run \`echo ${helperServerUrl(host)} | ${binary} get\` by hand to see why, or give the credentials for ${host} in registry-auth`,
    };
  }
  if (result.exitCode !== 0) {
    // The helpers print their error on stdout; "not found" means this host has no entry in the store.
    const said = (stdout.trim() || stderr.trim()).split('\n')[0] ?? '';
    if (said.includes(NOT_FOUND) || stderr.includes(NOT_FOUND)) return { kind: 'none' };
    return {
      kind: 'failed',
      message: `${binary} get failed for ${host} (exit ${result.exitCode}${said ? `: ${said.slice(0, 200)}` : ''})`,
      hint: `${named}: log in again (the helper's credentials may have expired), check the cloud credentials it reads, or give the credentials for ${host} in registry-auth`,
    };
  }
  let answer: { Username?: unknown; Secret?: unknown } | null;
  try {
    answer = JSON.parse(stdout);
  } catch {
    answer = null;
  }
  if (
    answer === null ||
    typeof answer !== 'object' ||
    typeof answer.Username !== 'string' ||
    typeof answer.Secret !== 'string'
  ) {
    return {
      kind: 'failed',
      message: `${binary} get printed no credentials for ${host} (not JSON with "Username" and "Secret" strings)`,
      hint: `${named}: check that ${binary} speaks the docker-credential-helpers protocol`,
    };
  }
  if (answer.Username === '<token>') {
    return {
      kind: 'failed',
      message: `${binary} gave an identity token for ${host} (Username "<token>"), which kubeplan cannot use`,
      hint: `give a user and password or access token for ${host} in registry-auth, or log in with one (docker login -u USER)`,
    };
  }
  if (answer.Secret === '') return { kind: 'none' };
  return { kind: 'credentials', username: answer.Username, password: answer.Secret };
}
