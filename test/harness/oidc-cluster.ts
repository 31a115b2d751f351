import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { startApiserver, type RunningApiserver } from '../bench/servers.mjs';
import { apiOn, bench } from './kube.js';
import { startOidcIssuer, type OidcIssuer } from './oidc.js';

export interface OidcCluster {
  issuer: OidcIssuer;
  cluster: RunningApiserver;
  /** The audience the apiserver accepts. */
  audience: string;
  /** The token subject RBAC grants `rules` to in `namespace` (`repo:acme/config:ref:refs/heads/main`). */
  subject: string;
  stop(): Promise<void>;
}

/**
 * A bench apiserver of its own that trusts an OIDC issuer on 127.0.0.1 through its structured AuthenticationConfiguration
 * (one audience, repository acme/config only), with `rules` granted in `namespace` to the job's subject. `jobClaims`
 * are the claims of each token the runner's ID-token endpoint hands out (they may set `iat`/`exp`).
 *
 * The apiserver caches a token it accepted for 10 s (TokenSuccessCacheTTL, no flag) whatever its `exp`: a token that
 * expired is refused from its next verification on, at most 10 s after its first use.
 */
export async function startOidcCluster(options: {
  scratch: string;
  namespace: string;
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  jobClaims: () => Record<string, unknown>;
}): Promise<OidcCluster> {
  const audience = 'kubeplan-bench';
  const subject = 'repo:acme/config:ref:refs/heads/main';
  // The issuer serves with the shared bench apiserver's certificate (for 127.0.0.1), signed by the bench CA.
  const pki = path.join(bench().dataDir, 'pki');
  const issuer = await startOidcIssuer(
    { certFile: path.join(pki, 'apiserver.crt'), keyFile: path.join(pki, 'apiserver.key') },
    () => ({ sub: subject, repository: 'acme/config', ref: 'refs/heads/main', ...options.jobClaims() }),
  );
  const ca = readFileSync(path.join(pki, 'ca.crt'), 'utf8');
  const authn = path.join(options.scratch, 'authentication.yaml');
  writeFileSync(
    authn,
    [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: AuthenticationConfiguration',
      'jwt:',
      '  - issuer:',
      `      url: ${issuer.url}`,
      `      audiences: [${audience}]`,
      '      certificateAuthority: |',
      ...ca
        .trim()
        .split('\n')
        .map((l) => `        ${l}`),
      '    claimMappings:',
      "      username: {claim: sub, prefix: 'github:'}",
      '    claimValidationRules:',
      '      - expression: "claims.repository == \'acme/config\'"',
      '        message: only acme/config may deploy here',
      '',
    ].join('\n'),
  );
  let cluster: RunningApiserver | undefined;
  try {
    cluster = await startApiserver(inject('apiserverBinary'), { extraFlags: [`--authentication-config=${authn}`] });
    const ns = options.namespace;
    const created = [
      await apiOn(cluster, 'POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      }),
      await apiOn(cluster, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'deployer', namespace: ns },
          rules: options.rules,
        },
      }),
      await apiOn(cluster, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'deployer', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `github:${subject}` }],
        },
      }),
    ];
    for (const res of created) if (res.status !== 201) throw new Error(`set-up request failed: ${res.status}`);
  } catch (error) {
    await cluster?.stop();
    await issuer.stop();
    throw error;
  }
  const running = cluster;
  return {
    issuer,
    cluster: running,
    audience,
    subject,
    stop: async () => {
      await running.stop();
      await issuer.stop();
    },
  };
}
