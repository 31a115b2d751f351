import path from 'node:path';
import type { Config } from './types.js';

/** The config file relative to its repository root, with forward slashes (how inventories and annotations name it). */
export function configPathInRepo(config: Pick<Config, 'repoRoot' | 'file'>): string {
  return path.relative(config.repoRoot, config.file).split(path.sep).join('/');
}
