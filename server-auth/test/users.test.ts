import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressView, ErrorBodySchema, UserView, VehicleView } from '@drivrr/shared/protocol';
import { loginViaOtp, startTestStack, type TestStack } from '../../test-support/stack.js';
import { api } from './accounts-helpers.js';

let stack: TestStack;
let http: ReturnType<typeof api>;
let alice: string;
let bob: string;
let driver: string;

const home = { label: 'Home', address: 'House 12, Street 4, Clifton, Karachi', lat: 24.8138, lng: 67.0300 };

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  http = api(stack);
  alice = (await loginViaOtp(stack, undefined, 'customer')).accessToken;
  bob = (await loginViaOtp(stack, undefined, 'customer')).accessToken;
  driver = (await loginViaOtp(stack, undefined, 'driver')).accessToken;
});
afterAll(async () => {
  await stack?.stop();
});

describe('/api/users/me', () => {
  it('changes name and email and returns the updated user', async () => {
    const answer = await http.patch('/api/users/me', { name: '  Ayesha Khan ', email: 'ayesha@example.com' }, alice);
    expect(answer.status).toBe(200);
    expect(UserView.parse(answer.body)).toMatchObject({ name: 'Ayesha Khan', email: 'ayesha@example.com' });
    expect((await http.get('/api/users/me', alice)).body.name).toBe('Ayesha Khan');

    const onlyName = await http.patch('/api/users/me', { name: 'Ayesha K.' }, alice);
    expect(onlyName.body).toMatchObject({ name: 'Ayesha K.', email: 'ayesha@example.com' });
  });

  it('refuses unknown fields, a bad email and an empty name with validation_failed and the issues', async () => {
    for (const body of [{ role: 'driver' }, { email: 'not-an-email' }, { name: '' }, { name: 'x'.repeat(81) }, [], { email: 5 }]) {
      const answer = await http.patch('/api/users/me', body, alice);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
      expect(Array.isArray(answer.body.error.details.issues)).toBe(true);
    }
  });

  it('answers 405 with Allow for a wrong method on a known path', async () => {
    const answer = await http.call('DELETE', '/api/users/me', { token: alice });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, PATCH');
    expect(answer.body.error.code).toBe('method_not_allowed');
  });
});

describe('addresses', () => {
  it('creates, lists, changes and deletes the caller\'s addresses', async () => {
    const created = await http.post('/api/users/me/addresses', home, alice);
    expect(created.status).toBe(201);
    const address = AddressView.parse(created.body);
    expect(address).toMatchObject(home);

    const list = await http.get('/api/users/me/addresses', alice);
    expect(list.body.items.map((a: AddressView) => a.id)).toContain(address.id);

    const changed = await http.patch(`/api/users/me/addresses/${address.id}`, { label: 'Home (new)' }, alice);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ label: 'Home (new)', address: home.address, lat: home.lat });

    expect((await http.del(`/api/users/me/addresses/${address.id}`, alice)).status).toBe(204);
    expect((await http.del(`/api/users/me/addresses/${address.id}`, alice)).status).toBe(404);
  });

  it('hides one user\'s addresses from another: not listed, 404 on change and delete, unchanged after', async () => {
    const mine = AddressView.parse((await http.post('/api/users/me/addresses', home, alice)).body);

    const list = await http.get('/api/users/me/addresses', bob);
    const patch = await http.patch(`/api/users/me/addresses/${mine.id}`, { label: 'Stolen' }, bob);
    const del = await http.del(`/api/users/me/addresses/${mine.id}`, bob);

    expect(list.body.items.map((a: AddressView) => a.id)).not.toContain(mine.id);
    expect(patch.status).toBe(404);
    expect(del.status).toBe(404);
    expect(ErrorBodySchema.parse(patch.body).error.code).toBe('not_found');
    const still = await http.get('/api/users/me/addresses', alice);
    expect(still.body.items.find((a: AddressView) => a.id === mine.id)).toMatchObject({ label: 'Home' });
  });

  it('refuses out-of-range coordinates and a malformed id', async () => {
    expect((await http.post('/api/users/me/addresses', { ...home, lat: 91 }, alice)).status).toBe(400);
    expect((await http.post('/api/users/me/addresses', { ...home, lng: 'east' }, alice)).status).toBe(400);
    const badId = await http.patch('/api/users/me/addresses/not-a-uuid', { label: 'x' }, alice);
    expect(badId.status).toBe(400);
    expect(badId.body.error.code).toBe('validation_failed');
  });
});

describe('vehicle', () => {
  const vehicle = { make: 'Suzuki', model: 'Mehran', color: 'White', plate: 'khi-1234', type: 'car' };

  it('answers 404 before a driver registers a vehicle, then stores and replaces it', async () => {
    expect((await http.get('/api/users/me/vehicle', driver)).status).toBe(404);

    const put = await http.put('/api/users/me/vehicle', vehicle, driver);
    expect(put.status).toBe(200);
    expect(VehicleView.parse(put.body)).toEqual({ ...vehicle, plate: 'KHI-1234' });

    const replaced = await http.put('/api/users/me/vehicle', { ...vehicle, type: 'rickshaw', model: 'Sazgar' }, driver);
    expect(replaced.body).toMatchObject({ type: 'rickshaw', model: 'Sazgar' });
    expect((await http.get('/api/users/me/vehicle', driver)).body).toMatchObject({ type: 'rickshaw' });
  });

  it('refuses customers with forbidden', async () => {
    const put = await http.put('/api/users/me/vehicle', vehicle, alice);
    const get = await http.get('/api/users/me/vehicle', alice);
    expect(put.status).toBe(403);
    expect(put.body.error.code).toBe('forbidden');
    expect(get.status).toBe(403);
  });

  it('refuses an unknown vehicle type', async () => {
    const answer = await http.put('/api/users/me/vehicle', { ...vehicle, type: 'helicopter' }, driver);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.issues[0].path).toBe('type');
  });
});
