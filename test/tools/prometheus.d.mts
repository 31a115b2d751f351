export function ensurePrometheus(options?: { log?: (msg: string) => void }): Promise<string>;
