import { describe, expect, it } from 'vitest';
import { proxyFor, proxySettings, redactProxyUrl } from '../../src/core/http/proxy.js';

const via = (url: string, env: NodeJS.ProcessEnv) => proxyFor(url, proxySettings(env))?.url.host;

describe('which requests go through the proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  it('https:// uses only the HTTPS variable and http:// only the HTTP one; lowercase wins; a scheme-less value is http://', () => {
    expect(via('https://api.example.com', { HTTP_PROXY: 'http://p1:3128' })).toBeUndefined();
    expect(via('http://api.example.com', { HTTPS_PROXY: 'http://p1:3128' })).toBeUndefined();
    expect(via('https://api.example.com', { HTTPS_PROXY: 'http://up:1', https_proxy: 'http://low:2' })).toBe('low:2');
    expect(via('https://api.example.com', { HTTPS_PROXY: 'http://up:1', https_proxy: '' })).toBe('up:1');
    expect(proxyFor('https://a.example.com', proxySettings({ HTTPS_PROXY: 'proxy.corp:3128' }))?.url.href).toBe(
      'http://proxy.corp:3128/',
    );
  });

  it('never proxies localhost or loopback addresses', () => {
    const env = { HTTPS_PROXY: 'http://p:3128', HTTP_PROXY: 'http://p:3128' };
    for (const url of ['https://localhost:6443', 'https://127.0.0.1:6443', 'http://127.9.9.9', 'https://[::1]:6443'])
      expect(via(url, env), url).toBeUndefined();
    expect(via('https://localhost.example.com', env)).toBe('p:3128');
  });

  it('NO_PROXY: hosts with their subdomains, .domain for subdomains only, IPs, CIDR ranges, ports and *', () => {
    const env = {
      HTTPS_PROXY: 'http://p:3128',
      NO_PROXY: 'example.com, .corp.internal,10.0.0.0/8,192.168.1.7,git.acme.io:8443',
    };
    expect(via('https://example.com', env)).toBeUndefined();
    expect(via('https://api.example.com', env)).toBeUndefined();
    expect(via('https://notexample.com', env)).toBe('p:3128');
    expect(via('https://corp.internal', env)).toBe('p:3128');
    expect(via('https://k8s.corp.internal', env)).toBeUndefined();
    expect(via('https://10.96.0.1:6443', env)).toBeUndefined();
    expect(via('https://11.0.0.1', env)).toBe('p:3128');
    expect(via('https://192.168.1.7', env)).toBeUndefined();
    expect(via('https://git.acme.io:8443', env)).toBeUndefined();
    expect(via('https://git.acme.io', env)).toBe('p:3128');
    expect(via('https://anything.io', { ...env, no_proxy: '*' })).toBeUndefined();
    expect(via('https://[fd00::5]', { ...env, NO_PROXY: 'fd00::/8' })).toBeUndefined();
  });

  it('a malformed proxy variable is refused with its name and without its password', () => {
    expect(() => proxySettings({ HTTPS_PROXY: 'socks4://u:s3cret@p:1080' })).toThrow(/HTTPS_PROXY/);
    expect(() => proxySettings({ HTTPS_PROXY: 'socks4://u:s3cret@p:1080' })).not.toThrow(/s3cret/);
    expect(redactProxyUrl('http://u:s3cret@p:3128')).toBe('http://***@p:3128');
  });
});
