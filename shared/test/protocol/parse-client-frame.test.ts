import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '@drivrr/shared/protocol';

const RIDE = '5b0c3c8e-7a4b-4c1e-9f3a-2d6e8b1a0c55';

describe('parseClientFrame (compiled fast acceptance in front of zod)', () => {
  it('accepts a location.update with the values sent, with and without an id', () => {
    const withoutId = parseClientFrame(Buffer.from('{"type":"location.update","data":{"lat":24.86,"lng":67.01,"heading":90,"ts":1700000000000}}'));
    expect(withoutId).toEqual({ ok: true, message: { type: 'location.update', data: { lat: 24.86, lng: 67.01, heading: 90, ts: 1700000000000 } } });
    const withId = parseClientFrame('{"type":"location.update","id":"m1","data":{"lat":1,"lng":2}}');
    expect(withId).toEqual({ ok: true, message: { type: 'location.update', id: 'm1', data: { lat: 1, lng: 2 } } });
  });

  it('gives zod\'s validation_failed for out-of-range, extra or non-integer fields', () => {
    for (const data of ['{"lat":91,"lng":2}', '{"lat":1,"lng":2,"extra":true}', '{"lat":1,"lng":2,"ts":1.5}', '{"lat":"1","lng":2}', '{"lat":1}']) {
      const result = parseClientFrame(`{"type":"location.update","id":"x","data":${data}}`);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.code).toBe('validation_failed');
      expect(result.id).toBe('x');
      expect(result.message).toBe('invalid data for location.update');
      expect((result.details?.issues as unknown[]).length).toBeGreaterThan(0);
    }
  });

  it('treats a missing or null data as {} (a ping is valid without data, a driver.online is not)', () => {
    expect(parseClientFrame('{"type":"ping","id":"p"}')).toEqual({ ok: true, message: { type: 'ping', id: 'p', data: {} } });
    expect(parseClientFrame('{"type":"ping","data":null}')).toEqual({ ok: true, message: { type: 'ping', data: {} } });
    const online = parseClientFrame('{"type":"driver.online"}');
    expect(online.ok).toBe(false);
  });

  it('checks UUIDs of fast-validated types like zod does', () => {
    expect(parseClientFrame(`{"type":"bid.place","data":{"rideId":"${RIDE}","fare":500}}`).ok).toBe(true);
    const bad = parseClientFrame('{"type":"bid.place","data":{"rideId":"not-a-uuid","fare":500}}');
    expect(bad.ok ? 'accepted' : bad.code).toBe('validation_failed');
  });

  it('keeps zod transforms: a ride.cancel reason is trimmed, and a blank one refused', () => {
    const trimmed = parseClientFrame(`{"type":"ride.cancel","data":{"rideId":"${RIDE}","reason":"  changed my mind  "}}`);
    expect(trimmed).toEqual({ ok: true, message: { type: 'ride.cancel', data: { rideId: RIDE, reason: 'changed my mind' } } });
    const blank = parseClientFrame(`{"type":"ride.cancel","data":{"rideId":"${RIDE}","reason":"   "}}`);
    expect(blank.ok ? 'accepted' : blank.code).toBe('validation_failed');
  });

  it('answers bad envelopes, unknown types and bad JSON as before', () => {
    expect(parseClientFrame('{"type":"nope","id":"u"}')).toEqual({ ok: false, id: 'u', code: 'unknown_type', message: 'unknown message type "nope"' });
    const noType = parseClientFrame('{"id":"e","data":{}}');
    expect(noType.ok ? 'accepted' : [noType.code, noType.id]).toEqual(['validation_failed', 'e']);
    const array = parseClientFrame('[1,2]');
    expect(array.ok ? 'accepted' : array.code).toBe('validation_failed');
    const json = parseClientFrame('{"type":');
    expect(json.ok ? 'accepted' : json.code).toBe('invalid_json');
    const longId = parseClientFrame(`{"type":"ping","id":"${'a'.repeat(65)}"}`);
    expect(longId.ok ? 'accepted' : longId.code).toBe('validation_failed');
  });
});
