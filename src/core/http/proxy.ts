import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { UsageError } from '../errors.js';

/**
 * The proxy settings of the environment, the way CI runners behind a corporate proxy set them:
 * - `https_proxy`/`HTTPS_PROXY` for https:// URLs, `http_proxy`/`HTTP_PROXY` for http:// URLs (never the other one);
 * - the lowercase variable wins when both are set (as curl, undici and the Actions toolkit read them, so kubeplan's
 *   requests and the GitHub OIDC token request agree; Go tools such as kubectl prefer the uppercase one); an empty
 *   variable counts as unset;
 * - `no_proxy`/`NO_PROXY` with Go's grammar (kubectl, helm): `*`, a host (and its subdomains), `.domain` or
 *   `*.domain` (subdomains only), an IP address, a CIDR range, each optionally with `:port`;
 * - localhost and loopback addresses (127.0.0.0/8, ::1) never go through a proxy, as in Go and the Actions toolkit:
 *   a kind cluster or local registry on the runner stays reachable when a corporate proxy is set.
 * A proxy URL without a scheme is taken as http:// (as Go does); credentials in it (http://user:pass@proxy:3128) are
 * sent as Proxy-Authorization and never printed.
 */
export interface ProxySettings {
  http: ProxyUrl | undefined;
  https: ProxyUrl | undefined;
  noProxy: NoProxyEntry[];
}

export interface ProxyUrl {
  url: URL;
  /** The variable it came from (`HTTPS_PROXY`), for messages. */
  variable: string;
}

interface NoProxyEntry {
  /** Lowercase host without a leading dot; for a range, undefined. */
  host?: string;
  /** True when only subdomains match (`.example.com`, `*.example.com`). */
  subdomainsOnly?: boolean;
  cidr?: { bytes: Uint8Array; bits: number };
  all?: boolean;
  port?: number;
}

/** Reads (and checks) the proxy variables of `env`. A malformed proxy URL is a UsageError naming the variable. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  return {
    http: proxyVariable(env, 'http_proxy', 'HTTP_PROXY'),
    https: proxyVariable(env, 'https_proxy', 'HTTPS_PROXY'),
    noProxy: parseNoProxy(firstSet(env, 'no_proxy', 'NO_PROXY')?.[1] ?? ''),
  };
}

/** The proxy a request to `target` goes through, or undefined for a direct connection. */
export function proxyFor(target: URL | string, settings: ProxySettings): ProxyUrl | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const proxy = url.protocol === 'https:' ? settings.https : url.protocol === 'http:' ? settings.http : undefined;
  if (!proxy) return undefined;
  const host = url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  if (isLoopback(host)) return undefined;
  return bypassed(host, port, settings.noProxy) ? undefined : proxy;
}

/** A proxy URL fit for a message: the credentials in it replaced by ***. */
export function redactProxyUrl(url: URL | string): string {
  const copy = new URL(String(url));
  if (copy.username || copy.password) {
    copy.username = '***';
    copy.password = '';
  }
  return copy.href.replace(/\/$/, '');
}

/** The credentials in the proxy variables (the password, also percent-decoded, and user:password): for masking. */
export function proxyCredentials(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    const value = env[name];
    if (value) out.push(...proxyUrlCredentials(value));
  }
  return out;
}

/** The credentials in one proxy URL (a kubeconfig's proxy-url, a proxy variable). */
export function proxyUrlCredentials(value: string): string[] {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    return [];
  }
  if (!url.password) return [];
  const decoded = safeDecode(url.password);
  return [...new Set([url.password, decoded, `${safeDecode(url.username)}:${decoded}`])];
}

/**
 * A fetch that honours the proxy variables of `env` (see ProxySettings), through undici's ProxyAgent: a CONNECT
 * tunnel for https:// URLs, absolute-URI forwarding for http:// ones. Without any proxy variable it is the plain
 * global fetch, and undici is not even loaded.
 */
export function proxyFetch(env: NodeJS.ProcessEnv): typeof fetch {
  const settings = proxySettings(env);
  if (!settings.http && !settings.https) return (input, init) => fetch(input, init);
  let loaded: Promise<{ fetch: typeof import('undici').fetch; dispatcher: Dispatcher }> | undefined;
  const proxied = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    loaded ??= (async () => {
      const undici = await loadUndici();
      return { fetch: undici.fetch, dispatcher: routingDispatcher(undici, settings) };
    })();
    const { fetch: undiciFetch, dispatcher } = await loaded;
    return (await undiciFetch(
      input as Parameters<typeof undiciFetch>[0],
      { ...init, dispatcher } as Parameters<typeof undiciFetch>[1],
    )) as unknown as Response;
  };
  return proxied as typeof fetch;
}

/** An undici dispatcher that sends each request through the proxy `settings` name for it, or directly. */
function routingDispatcher(undici: typeof import('undici'), settings: ProxySettings): Dispatcher {
  const agents = new Map<string, Dispatcher>();
  const through = (proxy: URL): Dispatcher => {
    let agent = agents.get(proxy.href);
    if (!agent) agents.set(proxy.href, (agent = new undici.ProxyAgent({ uri: proxy.href })));
    return agent;
  };
  return new undici.Agent().compose((dispatch) => (options, handler) => {
    const proxy = proxyFor(new URL(String(options.origin)), settings);
    return proxy ? through(proxy.url).dispatch(options, handler) : dispatch(options, handler);
  });
}

async function loadUndici(): Promise<typeof import('undici')> {
  const undici = await import('undici');
  // undici is CommonJS: bundled, its exports may sit on `default`.
  return (undici.ProxyAgent ? undici : (undici as unknown as { default: typeof undici }).default) as typeof undici;
}

function firstSet(env: NodeJS.ProcessEnv, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return [name, value];
  }
  return undefined;
}

function proxyVariable(env: NodeJS.ProcessEnv, ...names: string[]): ProxyUrl | undefined {
  const found = firstSet(env, ...names);
  if (!found) return undefined;
  const [variable, value] = found;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  let url: URL | undefined;
  try {
    url = new URL(hasScheme ? value : `http://${value}`);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    // The value may hold a password: only its scheme is shown.
    throw new UsageError(
      `the environment variable ${variable} is not an http:// or https:// proxy URL${url ? ` (it uses ${url.protocol}//)` : ''}`,
      {
        where: { variable },
        hint: 'set it like http://proxy.example.com:3128 or http://user:password@proxy.example.com:3128, or unset it',
      },
    );
  }
  return { url, variable };
}

function parseNoProxy(value: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const raw of value.split(/[,\s]+/)) {
    let item = raw.trim().toLowerCase();
    if (item === '') continue;
    if (item === '*') {
      entries.push({ all: true });
      continue;
    }
    if (item.includes('/')) {
      const cidr = parseCidr(item);
      if (cidr) entries.push({ cidr });
      continue;
    }
    let port: number | undefined;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(item);
    if (withPort) {
      item = withPort[1]!;
      port = Number(withPort[2]);
    }
    item = item.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
    const subdomainsOnly = item.startsWith('.') || item.startsWith('*.');
    const host = item.replace(/^\*?\./, '');
    if (host !== '') entries.push({ host, subdomainsOnly, ...(port === undefined ? {} : { port }) });
  }
  return entries;
}

function bypassed(host: string, port: number, entries: NoProxyEntry[]): boolean {
  const ip = isIP(host) ? ipBytes(host) : undefined;
  for (const entry of entries) {
    if (entry.all) return true;
    if (entry.cidr) {
      if (ip && inRange(ip, entry.cidr)) return true;
      continue;
    }
    if (entry.port !== undefined && entry.port !== port) continue;
    const h = entry.host!;
    if (isIP(h)) {
      if (ip && sameBytes(ip, ipBytes(h))) return true;
      continue;
    }
    if ((!entry.subdomainsOnly && host === h) || host.endsWith(`.${h}`)) return true;
  }
  return false;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const ip = isIP(host) ? ipBytes(host) : undefined;
  if (!ip) return false;
  if (ip.length === 4) return ip[0] === 127;
  // ::1, or an IPv4-mapped 127.x.x.x
  const mapped = ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  return (ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1) || (mapped && ip[12] === 127);
}

function parseCidr(item: string): { bytes: Uint8Array; bits: number } | undefined {
  const [address, bitsText] = item.split('/');
  if (!address || !bitsText || !/^\d+$/.test(bitsText) || !isIP(address)) return undefined;
  const bytes = ipBytes(address);
  const bits = Number(bitsText);
  return bits <= bytes.length * 8 ? { bytes, bits } : undefined;
}

function inRange(ip: Uint8Array, cidr: { bytes: Uint8Array; bits: number }): boolean {
  if (ip.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((ip[bit >> 3]! & mask) !== (cidr.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** 4 bytes for IPv4, 16 for IPv6. */
function ipBytes(address: string): Uint8Array {
  if (isIP(address) === 4) return Uint8Array.from(address.split('.').map(Number));
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) =>
    Number.parseInt(g || '0', 16),
  );
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  if (v4) bytes.set(tail, 12);
  return bytes;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
