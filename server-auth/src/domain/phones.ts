/**
 * Phone numbers: normalisation to E.164 (libphonenumber-js), test phones with fixed codes, and the
 * operator allow-list. Pure functions; the config module passes the raw env strings in.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** The E.164 form of `input`, or undefined when it is not a valid number. */
export function normalisePhone(input: string, defaultCountry: string): string | undefined {
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > 32) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, { defaultCountry: defaultCountry as CountryCode, extract: false });
  if (parsed === undefined || !parsed.isValid()) return undefined;
  return parsed.number;
}

/** The ISO 3166 country of an E.164 number (undefined when the number belongs to none, e.g. +800). */
export function countryOfPhone(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

/** A test phone (exact) or a prefix of test phones (written with a trailing `*`) and its fixed code. */
export interface TestPhoneRule {
  /** E.164 phone, or the E.164 prefix when `prefix` is true. */
  phone: string;
  prefix: boolean;
  code: string;
}

/** Parses `PHONE=CODE,PHONE*=CODE` (whitespace allowed). Throws with a sentence naming the bad item. */
export function parseTestPhones(raw: string): TestPhoneRule[] {
  const rules: TestPhoneRule[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\+[1-9][0-9]{1,14})(\*?)=([0-9]{6})$/.exec(item.replace(/\s+/g, ''));
    if (!match) throw new Error(`"${item}" is not PHONE=CODE (E.164 phone, optionally ending in * for a prefix, and a 6-digit code)`);
    rules.push({ phone: match[1]!, prefix: match[2] === '*', code: match[3]! });
  }
  return rules;
}

/** The fixed code of a test phone, or undefined for a real phone. Exact entries win over prefixes. */
export function testCodeFor(phone: string, rules: readonly TestPhoneRule[]): string | undefined {
  const exact = rules.find((r) => !r.prefix && r.phone === phone);
  if (exact) return exact.code;
  let best: TestPhoneRule | undefined;
  for (const rule of rules) {
    if (rule.prefix && phone.startsWith(rule.phone) && (best === undefined || rule.phone.length > best.phone.length)) best = rule;
  }
  return best?.code;
}

/** Parses a comma list of E.164 phones. */
export function parseOperatorPhones(raw: string): Set<string> {
  const phones = new Set<string>();
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!/^\+[1-9][0-9]{6,14}$/.test(item)) throw new Error(`"${item}" is not an E.164 phone number`);
    phones.add(item);
  }
  return phones;
}
