import { describe, expect, it } from 'vitest';
import { generateCode, hashCode, hashesMatch, refusalOf, verifyDelayS } from '../src/domain/otp.js';
import { countryOfPhone, normalisePhone, parseTestPhones, testCodeFor } from '../src/domain/phones.js';

describe('phones', () => {
  it('normalises local and international formats to E.164 and refuses the rest', () => {
    expect(normalisePhone('0300 1234567', 'PK')).toBe('+923001234567');
    expect(normalisePhone('+92 300 1234567', 'PK')).toBe('+923001234567');
    expect(normalisePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    for (const bad of ['', '12', 'abc', '+92300', '0300123456789012', '+0123456789']) expect(normalisePhone(bad, 'PK'), bad).toBeUndefined();
  });

  it('finds fixed codes of exact test phones before prefixes, the longest prefix first', () => {
    const rules = parseTestPhones('+92399*=000000, +923991*=111111, +923001234567=222222');
    expect(testCodeFor('+923990000001', rules)).toBe('000000');
    expect(testCodeFor('+923991000001', rules)).toBe('111111');
    expect(testCodeFor('+923001234567', rules)).toBe('222222');
    expect(testCodeFor('+923001234568', rules)).toBeUndefined();
    expect(() => parseTestPhones('+92399=12345')).toThrow(/PHONE=CODE/);
  });
});

describe('codes', () => {
  it('generates 6-digit codes', () => {
    const codes = Array.from({ length: 200 }, generateCode);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('binds the hash to pepper, phone, role and code', () => {
    const h = hashCode('pepper', '+923001234567', 'customer', '123456');
    expect(hashesMatch(h, hashCode('pepper', '+923001234567', 'customer', '123456'))).toBe(true);
    expect(hashesMatch(h, hashCode('other', '+923001234567', 'customer', '123456'))).toBe(false);
    expect(hashesMatch(h, hashCode('pepper', '+923001234568', 'customer', '123456'))).toBe(false);
    expect(hashesMatch(h, hashCode('pepper', '+923001234567', 'driver', '123456'))).toBe(false);
    expect(hashesMatch(h, 'abcd')).toBe(false);
  });

  it('decides whether a stored code may be tried', () => {
    const live = { attempts: 0, maxAttempts: 5, expired: false, consumed: false, dead: false };
    expect(refusalOf(live)).toBeUndefined();
    expect(refusalOf(undefined)).toBe('no_code');
    expect(refusalOf({ ...live, consumed: true })).toBe('consumed');
    expect(refusalOf({ ...live, attempts: 5 })).toBe('dead');
    expect(refusalOf({ ...live, dead: true, expired: true })).toBe('dead');
    expect(refusalOf({ ...live, expired: true })).toBe('expired');
  });
});

describe('the delay after wrong codes', () => {
  it('lets the free failures through, then doubles the wait from 2 s up to an hour', () => {
    expect([0, 1, 2, 3].map((f) => verifyDelayS(f, 3))).toEqual([0, 0, 0, 0]);
    expect([4, 5, 6, 7].map((f) => verifyDelayS(f, 3))).toEqual([2, 4, 8, 16]);
    expect(verifyDelayS(40, 3)).toBe(3600);
  });
});

describe('countries of phones', () => {
  it('names the ISO 3166 country of an E.164 number', () => {
    expect(countryOfPhone('+923001234567')).toBe('PK');
    expect(countryOfPhone('+971501234567')).toBe('AE');
    expect(countryOfPhone('+14155552671')).toBe('US');
  });
});
