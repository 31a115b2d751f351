import { KubeplanError } from '../errors.js';

/** Apply refused or failed; names the object and what to do. */
export class ApplyError extends KubeplanError {}
