import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerConfig, parseImageRef, RegistryClient, RegistryError } from '../../src/core/images/registry.js';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * Docker credential helpers (credsStore / credHelpers in config.json), run as ECR's, GCR's and ACR's are: a
 * `docker-credential-<name>` script on PATH that reads the server on stdin and prints {ServerURL, Username, Secret}.
 */
describe.each(['htpasswd', 'token'] as const)(
  'Docker credential helpers against the bench registry, %s auth',
  (auth) => {
    let registry: RunningRegistry;
    let dir: string;
    beforeAll(async () => {
      registry = await startRegistry(inject('registryBinary'), auth);
      const pusher = new OciTestClient(registry);
      for (const tag of ['1.0.0', '1.1.0']) await pusher.pushImage('acme/shop', tag);
      await pusher.pushImage('acme/cart', '2.0.0');
      dir = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-cred-helpers-'));
    });
    afterAll(async () => {
      await registry?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /**
     * A folder with `docker-credential-<name>`, which logs every call (its argument and stdin) and answers by the script
     * given; a config.json beside it. Returns the env a run needs and the call log.
     */
    function setup(name: string, answer: string, config: Record<string, unknown>) {
      const root = mkdtempSync(path.join(dir, `${name}-`));
      mkdirSync(path.join(root, 'bin'));
      mkdirSync(path.join(root, 'docker'));
      const log = path.join(root, 'calls.log');
      const script = path.join(root, 'bin', `docker-credential-${name}`);
      writeFileSync(script, `#!/bin/sh\nread -r server\necho "$1 $server" >> '${log}'\n${answer}\n`);
      chmodSync(script, 0o755);
      writeFileSync(path.join(root, 'docker', 'config.json'), JSON.stringify(config));
      const env = { PATH: `${path.join(root, 'bin')}${path.delimiter}${process.env.PATH}`, HOME: root };
      return {
        env: { ...env, DOCKER_CONFIG: path.join(root, 'docker') },
        calls: () => readFileSync(log, 'utf8').trim().split('\n'),
        root,
      };
    }

    const gives = (username: string, secret: string) =>
      `printf '{"ServerURL":"%s","Username":"${username}","Secret":"${secret}"}\\n' "$server"`;

    function client(env: NodeJS.ProcessEnv, onSecret?: (value: string) => void) {
      const docker = dockerConfig(env);
      return new RegistryClient({
        credentials: docker.credentials,
        helpers: docker.helpers,
        dockerConfigFile: docker.file,
        helperEnv: env,
        onSecret,
      });
    }

    it('credsStore: runs the helper once per registry with the host on stdin, and reads every image with its credentials', async () => {
      const { env, calls } = setup('bench', gives(registry.username, registry.password), { credsStore: 'bench' });
      const secrets: string[] = [];
      const c = client(env, (v) => secrets.push(v));
      const [shop, cart] = await Promise.all([
        c.listTags(parseImageRef(`${registry.host}/acme/shop`)),
        c.listTags(parseImageRef(`${registry.host}/acme/cart`)),
      ]);
      expect(shop.sort()).toEqual(['1.0.0', '1.1.0']);
      expect(cart).toEqual(['2.0.0']);
      expect(calls()).toEqual([`get ${registry.host}`]);
      // The secret is handed over for masking the moment it is read.
      expect(secrets).toEqual([registry.password]);
    });

    it("credHelpers: a host's own helper wins over its auths entry; the secret appears in no error", async () => {
      const { env, calls } = setup('ecr-bench', gives(registry.username, registry.password), {
        auths: { [registry.host]: { auth: Buffer.from('bench:stale-password').toString('base64') } },
        credHelpers: { [registry.host]: 'ecr-bench' },
        credsStore: 'missing-store',
      });
      expect(await client(env).listTags(parseImageRef(`${registry.host}/acme/cart`))).toEqual(['2.0.0']);
      expect(calls()).toEqual([`get ${registry.host}`]);
    });

    it('"credentials not found in native keychain" is anonymous: the registry refuses, and the hint names the helper', async () => {
      const { env } = setup('empty', `echo 'credentials not found in native keychain'; exit 1`, {
        credsStore: 'empty',
      });
      const error = await client(env)
        .listTags(parseImageRef(`${registry.host}/acme/shop`))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).format()).toContain(
        `docker-credential-empty has no credentials for ${registry.host}: log in to it`,
      );
    });

    it('a helper that fails, hangs or prints no credentials is an error naming the helper, the host and the config file', async () => {
      const failing = setup('broken', `echo 'error getting credentials: token expired' >&2; exit 3`, {
        credsStore: 'broken',
      });
      const failed = (await client(failing.env)
        .listTags(parseImageRef(`${registry.host}/acme/shop`))
        .catch((e: unknown) => e)) as RegistryError;
      expect(failed).toBeInstanceOf(RegistryError);
      expect(failed.format()).toContain(
        `${registry.host}/acme/shop: docker-credential-broken get failed for ${registry.host} (exit 3: error getting credentials: token expired)`,
      );
      expect(failed.format()).toContain(`${path.join(failing.root, 'docker', 'config.json')} (credsStore)`);

      const hanging = setup('slow', 'sleep 30', { credHelpers: { [registry.host]: 'slow' } });
      const docker = dockerConfig(hanging.env);
      const started = Date.now();
      const timedOut = (await new RegistryClient({
        helpers: docker.helpers,
        helperEnv: hanging.env,
        helperTimeoutMs: 500,
      })
        .listTags(parseImageRef(`${registry.host}/acme/shop`))
        .catch((e: unknown) => e)) as RegistryError;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(timedOut.message).toBe(`docker-credential-slow get did not answer for ${registry.host} within 0.5 s`);

      // Output that is not the protocol's JSON is not echoed: it may well hold the secret.
      const garbled = setup('garbled', `echo "user=${registry.username} secret=${registry.password}"`, {
        credsStore: 'garbled',
      });
      const bad = (await client(garbled.env)
        .listTags(parseImageRef(`${registry.host}/acme/shop`))
        .catch((e: unknown) => e)) as RegistryError;
      expect(bad.message).toContain(`docker-credential-garbled get printed no credentials for ${registry.host}`);
      expect(bad.format()).not.toContain(registry.password);
    });

    it('kubeplan bump: credsStore from DOCKER_CONFIG, the secret in no output; a missing helper exits 2 naming it', async () => {
      const repo = makeRepo({
        'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: app\n    manifests: app\n',
        'app/deploy.yaml': [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata: {name: shop, namespace: app}',
          'spec:',
          '  selector: {matchLabels: {app: shop}}',
          '  template:',
          '    metadata: {labels: {app: shop}}',
          '    spec:',
          `      containers: [{name: shop, image: "${registry.host}/acme/shop:1.0.0"}]`,
          '',
        ].join('\n'),
      });
      const ok = setup('bench', gives(registry.username, registry.password), { credsStore: 'bench' });
      const run = await runCliAsync(['bump', '--dry-run', '-o', 'json'], { cwd: repo, env: ok.env });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.images.find((i: { image: string }) => i.image === `${registry.host}/acme/shop`)).toMatchObject({
        status: 'bump',
        from: '1.0.0',
        to: { tag: '1.1.0' },
      });
      expect(run.stdout + run.stderr).not.toContain(registry.password);

      const missing = setup('bench', 'exit 0', { credsStore: 'nowhere' });
      const failed = await runCliAsync(['bump', '--dry-run'], { cwd: repo, env: missing.env });
      expect(failed.code).toBe(2);
      expect(failed.stdout + failed.stderr).toContain('docker-credential-nowhere is not on PATH');
    });
  },
);
