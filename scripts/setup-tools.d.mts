export const toolsDir: string;
export function setupTools(options?: { log?: (message: string) => void }): Promise<string>;
