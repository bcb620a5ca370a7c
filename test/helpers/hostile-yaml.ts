/**
 * Rule and policy texts that attack the YAML reader, shared by the unit, integration and fuzz
 * tests: each is small on disk and, read without bounds, expands or nests without limit.
 */

/**
 * A worksheet whose `title` is an alias bomb (the "billion laughs"): ten levels of ten
 * aliases each, 10^10 strings once expanded, in well under a kilobyte. Everything else is a
 * valid worksheet, so only the alias makes it invalid.
 */
export function aliasBombWorksheet(worksheet = 'bomb'): string {
  const levels = ['  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i++) levels.push(`  l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  return `worksheet: ${worksheet}
title: Laughs
owner:
${levels.join('\n')}
entries:
  - id: S-BOMB-01
    item: gateway
    function: route frames
    failureMode: frames lost
    effect: no data
    cause: wiring
    severity: 5
    occurrence: 4
    detection: 5
    controls:
      prevention: *l9
    evidence:
      canFeature: error_frame_share > 0.01
`;
}

/** Line (1-based) of the first alias in aliasBombWorksheet(): the `l1:` line. */
export const ALIAS_BOMB_FIRST_ALIAS_LINE = 5;

/** A policy file with the same bomb in a policy's description. */
export function aliasBombPolicyFile(): string {
  const levels = ['  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i++) levels.push(`  - &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  return `version: 1
services:
${levels.join('\n')}
policies:
  - name: p
    match: ['__name__=~"span.*"']
    whileRelease: { phases: [START] }
    suppressFor: 5m
`;
}
