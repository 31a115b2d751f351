/**
 * Whether a remote chart reference (a chart repository URL or an `oci://` reference) comes from one of the allowed
 * repositories: the same URL, or a path below it (`oci://registry.example.com/charts` allows
 * `oci://registry.example.com/charts/app`). `any` allows everything (for callers that only list inputs).
 */
export function repositoryAllowed(ref: string, allowed: readonly string[] | 'any'): boolean {
  if (allowed === 'any') return true;
  const wanted = normalize(ref);
  return allowed.some((entry) => {
    const base = normalize(entry);
    return wanted === base || wanted.startsWith(`${base}/`);
  });
}

/** Scheme and host compare case-insensitively; a trailing slash does not matter. */
function normalize(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(url.trim());
  const text = m ? `${m[1]!.toLowerCase()}${m[2]!.toLowerCase()}${m[3]}` : url.trim();
  return text.replace(/\/+$/, '');
}
