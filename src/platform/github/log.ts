import * as core from '@actions/core';
import { guardLogLines } from '../../core/report/escape.js';

/**
 * A log line of the action. Text from the pull request (names, diffs, messages, a rollback report) can hold lines
 * that start with `::`, which the runner would run as workflow commands; core.info writes as it is given, so every
 * plain log line goes through here. (core.warning/error/startGroup escape their text themselves.)
 */
export function info(text: string): void {
  core.info(guardLogLines(text));
}
