/** /api/users/me*: the caller's profile, saved addresses and vehicle. Every route needs an access token. */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  AddressBody, AddressList, AddressPatchBody, AddressView, UpdateMeBody, UserView, Uuid, VehicleBody, VehicleResponse,
} from '@drivrr/shared/protocol';
import type { Profile } from '../usecases/profile.js';
import { AUTHENTICATED_ERRORS, callerOf } from './authenticate.js';
import { bearerSecurity, errorResponses, jsonContent, registerPath } from './openapi.js';
import { methodNotAllowed, validate } from './validate.js';

const parseUpdateMe = validate(UpdateMeBody);
const parseAddress = validate(AddressBody);
const parseAddressPatch = validate(AddressPatchBody);
const parseVehicle = validate(VehicleBody);
const parseAddressId = validate(Uuid, 'path');

export function usersRouter(deps: { profile: Profile; requireAuth: RequestHandler }): Router {
  const { profile, requireAuth } = deps;
  const router = Router();

  router.get('/api/users/me', requireAuth, async (_req, res) => {
    res.json(await profile.me(callerOf(res)));
  });
  router.patch('/api/users/me', requireAuth, async (req, res) => {
    res.json(await profile.updateMe(callerOf(res), parseUpdateMe(req.body)));
  });
  router.all('/api/users/me', methodNotAllowed(['GET', 'PATCH']));

  router.get('/api/users/me/addresses', requireAuth, async (_req, res) => {
    res.json({ items: await profile.listAddresses(callerOf(res)) });
  });
  router.post('/api/users/me/addresses', requireAuth, async (req, res) => {
    res.status(201).json(await profile.addAddress(callerOf(res), parseAddress(req.body)));
  });
  router.all('/api/users/me/addresses', methodNotAllowed(['GET', 'POST']));
  router.patch('/api/users/me/addresses/:id', requireAuth, async (req, res) => {
    const caller = callerOf(res);
    res.json(await profile.updateAddress(caller, parseAddressId(req.params.id), parseAddressPatch(req.body)));
  });
  router.delete('/api/users/me/addresses/:id', requireAuth, async (req, res) => {
    await profile.deleteAddress(callerOf(res), parseAddressId(req.params.id));
    res.status(204).end();
  });
  router.all('/api/users/me/addresses/:id', methodNotAllowed(['PATCH', 'DELETE']));

  router.get('/api/users/me/vehicle', requireAuth, async (_req, res) => {
    res.json(await profile.vehicle(callerOf(res)));
  });
  router.put('/api/users/me/vehicle', requireAuth, async (req, res) => {
    res.json(await profile.putVehicle(callerOf(res), parseVehicle(req.body)));
  });
  router.all('/api/users/me/vehicle', methodNotAllowed(['GET', 'PUT']));
  return router;
}

const authCodes = AUTHENTICATED_ERRORS;
const bodyCodes = ['validation_failed', 'invalid_json', 'payload_too_large'] as const;
const idParam = z.object({ id: Uuid });

registerPath({
  method: 'get', path: '/api/users/me', tags: ['users'], security: bearerSecurity, summary: "The caller's account",
  responses: { 200: jsonContent(UserView, 'the user'), ...errorResponses(...authCodes) },
});
registerPath({
  method: 'patch', path: '/api/users/me', tags: ['users'], security: bearerSecurity, summary: 'Change name and/or email',
  request: { body: jsonContent(UpdateMeBody, 'fields to change') },
  responses: { 200: jsonContent(UserView, 'the updated user'), ...errorResponses(...authCodes, ...bodyCodes) },
});
registerPath({
  method: 'get', path: '/api/users/me/addresses', tags: ['users'], security: bearerSecurity, summary: 'Saved addresses, oldest first',
  responses: { 200: jsonContent(AddressList, 'the addresses'), ...errorResponses(...authCodes) },
});
registerPath({
  method: 'post', path: '/api/users/me/addresses', tags: ['users'], security: bearerSecurity, summary: 'Save an address (at most 50)',
  request: { body: jsonContent(AddressBody, 'the address') },
  responses: { 201: jsonContent(AddressView, 'the saved address'), ...errorResponses('conflict', ...authCodes, ...bodyCodes) },
});
registerPath({
  method: 'patch', path: '/api/users/me/addresses/{id}', tags: ['users'], security: bearerSecurity, summary: 'Change a saved address',
  request: { params: idParam, body: jsonContent(AddressPatchBody, 'fields to change') },
  responses: { 200: jsonContent(AddressView, 'the updated address'), ...errorResponses('not_found', ...authCodes, ...bodyCodes) },
});
registerPath({
  method: 'delete', path: '/api/users/me/addresses/{id}', tags: ['users'], security: bearerSecurity, summary: 'Delete a saved address',
  request: { params: idParam },
  responses: { 204: { description: 'deleted' }, ...errorResponses('not_found', 'validation_failed', ...authCodes) },
});
registerPath({
  method: 'get', path: '/api/users/me/vehicle', tags: ['users'], security: bearerSecurity, summary: "The driver's vehicle (drivers only)",
  responses: { 200: jsonContent(VehicleResponse, 'the vehicle'), ...errorResponses('forbidden', 'not_found', ...authCodes) },
});
registerPath({
  method: 'put', path: '/api/users/me/vehicle', tags: ['users'], security: bearerSecurity, summary: "Set or replace the driver's vehicle (drivers only)",
  request: { body: jsonContent(VehicleBody, 'the vehicle') },
  responses: { 200: jsonContent(VehicleResponse, 'the stored vehicle'), ...errorResponses('forbidden', ...authCodes, ...bodyCodes) },
});
