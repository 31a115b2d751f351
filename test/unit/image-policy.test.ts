import { describe, expect, it } from 'vitest';
import { chooseTag, policyProblem, type ImageRules, updateType } from '../../src/core/images/policy.js';

const semver = (range: string, exclude: string[] = []): ImageRules => ({ policy: { semver: range }, exclude });
const reasons = (current: string, tags: string[], rules: ImageRules) =>
  Object.fromEntries(chooseTag(current, tags, rules).candidates.map((c) => [c.tag, c.rejected ?? 'chosen-or-current']));

describe('image tag policy', () => {
  it('picks the newest tag inside a semver range and says why every other tag lost', () => {
    const tags = [
      '2.4.0',
      '2.4.1',
      '2.5.0',
      '2.6.0-rc.1',
      '3.0.0',
      'latest',
      'a1b2c3d',
      '2.5.0-alpine',
      'v2.5.1',
      '2.3.9',
      '2.7.0-beta',
    ];
    const choice = chooseTag('2.4.0', tags, semver('^2.4.0', ['.*-beta']));
    expect(choice.tag).toBe('2.5.0');
    expect(reasons('2.4.0', tags, semver('^2.4.0', ['.*-beta']))).toEqual({
      '2.4.0': 'chosen-or-current',
      '2.4.1': 'older',
      '2.5.0': 'chosen-or-current',
      '2.6.0-rc.1': 'prerelease',
      '3.0.0': 'outside range',
      latest: 'not a version',
      a1b2c3d: 'digest-like',
      '2.5.0-alpine': 'suffix mismatch',
      'v2.5.1': 'prefix mismatch',
      '2.3.9': 'older',
      '2.7.0-beta': 'excluded',
    });
  });

  it('minor keeps the major, patch keeps major.minor, both relative to the current tag', () => {
    const tags = ['1.2.3', '1.2.9', '1.3.0', '1.9.1', '2.0.0'];
    expect(chooseTag('1.2.3', tags, semver('minor')).tag).toBe('1.9.1');
    expect(chooseTag('1.2.3', tags, semver('patch')).tag).toBe('1.2.9');
    expect(chooseTag('1.9.1', tags, semver('minor')).tag).toBeUndefined();
  });

  it('prereleases only when the range asks for them or the current tag is one of the same version', () => {
    const tags = ['2.5.0-rc.1', '2.5.0-rc.2', '2.4.0'];
    expect(chooseTag('2.4.0', tags, semver('^2.4.0')).tag).toBeUndefined();
    expect(chooseTag('2.4.0', tags, semver('>=2.5.0-rc.0 <3')).tag).toBe('2.5.0-rc.2');
    expect(chooseTag('2.5.0-rc.1', [...tags, '2.5.0'], semver('minor')).tag).toBe('2.5.0');
    expect(chooseTag('2.5.0-rc.1', tags, semver('minor')).tag).toBe('2.5.0-rc.2');
  });

  it('a variant tag only moves to the same variant', () => {
    const tags = ['7.2.4-alpine', '7.2.5', '7.2.5-alpine', '7.4.0-bookworm', '7.2.6-rc1-alpine'];
    expect(chooseTag('7.2.4-alpine', tags, semver('minor')).tag).toBe('7.2.5-alpine');
    expect(reasons('7.2.4-alpine', tags, semver('minor'))['7.2.6-rc1-alpine']).toBe('prerelease');
  });

  it('aliases of the same version never flip back and forth', () => {
    const tags = ['1.20', '1.20.0', '1.21', '1.21.0', '1.21.1'];
    expect(chooseTag('1.20', tags, semver('patch')).tag).toBeUndefined();
    expect(reasons('1.20', tags, semver('patch'))['1.20.0']).toBe('same version');
    expect(chooseTag('1.20', ['1.20', '1.20.0', '1.21', '1.21.0'], semver('minor')).tag).toBe('1.21');
    expect(chooseTag('1.20.0', ['1.20', '1.20.0', '1.21', '1.21.0'], semver('minor')).tag).toBe('1.21.0');
  });

  it('a pattern policy orders by the extracted value, numerically or alphabetically', () => {
    const rules: ImageRules = {
      policy: { pattern: '^main-[a-f0-9]+-(?<ts>\\d+)$', extract: '$ts', order: 'numerical' },
      exclude: [],
    };
    const tags = ['main-abc1234-900', 'main-def5678-1000', 'main-0123abc-99', 'pr-12-2000', '1.0.0'];
    expect(chooseTag('main-abc1234-900', tags, rules).tag).toBe('main-def5678-1000');
    expect(reasons('main-abc1234-900', tags, rules)).toMatchObject({
      'main-0123abc-99': 'older',
      'pr-12-2000': 'not matching pattern',
      '1.0.0': 'not matching pattern',
    });
    const alpha: ImageRules = {
      policy: { pattern: '^RELEASE\\.(.+)$', extract: '$1', order: 'alphabetical' },
      exclude: [],
    };
    expect(
      chooseTag('RELEASE.2024-01-01', ['RELEASE.2024-01-01', 'RELEASE.2025-03-09', 'RELEASE.2023-12-31'], alpha).tag,
    ).toBe('RELEASE.2025-03-09');
  });

  it('reports a bad policy before any registry is asked', () => {
    expect(policyProblem({ semver: 'newest please' }, [])).toMatch(/not a semver range/);
    expect(policyProblem({ semver: '^1' }, ['(unclosed'])).toMatch(/exclude "\(unclosed" is not a regular expression/);
    expect(policyProblem({ pattern: '^(\\d+)$', extract: '$ts' }, [])).toMatch(/names group ts/);
    expect(policyProblem({ pattern: '^(?<ts>\\d+)$', extract: '$ts' }, [])).toBeUndefined();
  });

  it('names the update type of a bump as Renovate does: major, minor, patch, prerelease, digest, other', () => {
    expect(updateType('2.4.1', '3.0.0')).toBe('major');
    expect(updateType('v2.4.1', 'v2.5.0')).toBe('minor');
    expect(updateType('1.27', '1.28')).toBe('minor');
    expect(updateType('2.4.1-alpine', '2.4.2-alpine')).toBe('patch');
    expect(updateType('2.4.1', '2.4.2-rc.1')).toBe('prerelease');
    expect(updateType('2.4.2-rc.1', '2.4.2')).toBe('prerelease');
    expect(updateType('2.4.1', '2.4.1')).toBe('digest');
    expect(updateType('main-abc123', 'main-def456')).toBe('other');
    expect(updateType(undefined, '1.0.0')).toBe('other');
  });
});
