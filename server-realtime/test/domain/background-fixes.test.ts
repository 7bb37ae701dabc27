import { describe, expect, it } from 'vitest';
import type { LocationFix } from '@drivrr/shared/protocol';
import { fixedAt, MAX_FIX_ACCURACY_M, MAX_FIX_CLOCK_SKEW_MS, sortOutFixes } from '../../src/domain/background-fixes.js';

const NOW = 1_800_000_000_000;
const fix = (ts: number, extra: Partial<LocationFix> = {}): LocationFix => ({ lat: 24.86, lng: 67.0, ts, ...extra });

describe('sortOutFixes', () => {
  it('counts every good fix and picks the newest, whatever the order of the batch', () => {
    const newest = fix(NOW - 1_000, { lat: 24.9 });
    const sorted = sortOutFixes([fix(NOW - 5_000), newest, fix(NOW - 3_000)], undefined, NOW);
    expect(sorted).toEqual({ accepted: 3, skipped: 0, newest });
  });

  it.each([
    ['not newer than the newest known fix', fix(NOW - 10_000), NOW - 10_000],
    ['older than the newest known fix', fix(NOW - 20_000), NOW - 10_000],
    ['from the future beyond the allowed clock skew', fix(NOW + MAX_FIX_CLOCK_SKEW_MS + 1), undefined],
    ['less accurate than the limit', fix(NOW - 1_000, { accuracyM: MAX_FIX_ACCURACY_M + 0.5 }), undefined],
  ] as const)('skips a fix %s', (_why, bad, newestKnown) => {
    const good = fix(NOW - 500);
    const sorted = sortOutFixes([bad, good], newestKnown, NOW);
    expect(sorted).toEqual({ accepted: 1, skipped: 1, newest: good });
  });

  it('keeps fixes at the limits: a phone clock ahead within the skew, accuracy exactly at the limit', () => {
    const ahead = fix(NOW + MAX_FIX_CLOCK_SKEW_MS);
    const sorted = sortOutFixes([fix(NOW - 1, { accuracyM: MAX_FIX_ACCURACY_M }), ahead], NOW - 2, NOW);
    expect(sorted).toEqual({ accepted: 2, skipped: 0, newest: ahead });
  });

  it('has no newest fix when every fix is skipped', () => {
    expect(sortOutFixes([fix(NOW - 100), fix(NOW - 200)], NOW, NOW)).toEqual({ accepted: 0, skipped: 2, newest: undefined });
  });

  it('gives ties of time to the fix sent later in the batch', () => {
    const later = fix(NOW - 100, { lat: 24.95 });
    expect(sortOutFixes([fix(NOW - 100), later], undefined, NOW).newest).toBe(later);
  });

  it('stores a fix from a phone clock running ahead at the server now, never later', () => {
    expect(fixedAt(fix(NOW + 5_000), NOW)).toBe(NOW);
    expect(fixedAt(fix(NOW - 5_000), NOW)).toBe(NOW - 5_000);
  });
});
