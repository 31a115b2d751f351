export function ensureActionlint(options?: { log?: (msg: string) => void }): Promise<string>;
