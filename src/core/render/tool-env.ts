/**
 * The environment helm, kubectl and kustomize run with. They render pull-request content, so they get only what
 * rendering needs: where to find programs, home and temporary folders, locale, proxies and CA bundles, and their own
 * configuration variables. Never the runner's (`INPUT_*`, `ACTIONS_*`, `RUNNER_*`, `GITHUB_*`), kubeplan's own, or
 * anything that looks like a credential; the cluster is not needed to render.
 */
const NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LANGUAGE',
  'TZ',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // helm falls back to the Docker credential store for OCI registries.
  'DOCKER_CONFIG',
  'KUSTOMIZE_PLUGIN_HOME',
  // Windows needs these to start anything.
  'SystemRoot',
  'SYSTEMROOT',
  'ComSpec',
  'PATHEXT',
  'WINDIR',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
]);

const PREFIXES = ['LC_', 'XDG_', 'HELM_', 'KUSTOMIZE_', 'KUBECTL_'];

/** Credentials by name, even under an allowed prefix (HELM_KUBETOKEN, a HELM_*_PASSWORD a workflow sets). */
const DENIED = /TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|_KEY$|^HELM_KUBE/i;

export function toolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (!NAMES.has(name) && !PREFIXES.some((p) => name.startsWith(p))) continue;
    if (DENIED.test(name)) continue;
    out[name] = value;
  }
  return out;
}
