/**
 * The AsyncAPI 3 document of the WebSocket at /ws, generated from the same zod schemas the server
 * validates frames with (`clientMessageData`, `serverMessageData`, `clientMessageAcks`). Payloads
 * are JSON Schema draft-07 (`z.toJSONSchema(..., {target: 'draft-7'})`): what clients send in the
 * form the server accepts (io: input), what the server sends in the form it produces (io: output).
 * The document describes the server: it receives the client messages (each with its ack or error
 * as the reply) and sends the server messages.
 */
import { z } from 'zod';
import {
  clientMessageAcks,
  clientMessageData,
  clientMessageRoles,
  CLIENT_MESSAGE_TYPES,
  MAX_FRAME_BYTES,
  serverMessageData,
  WS_SUBPROTOCOL,
  type ClientMessageType,
  type ServerMessageType,
} from '@drivrr/shared/protocol';
import { protocolSchemaNames } from '@drivrr/shared/protocol/catalog';
import { ErrorCodeEnum } from '@drivrr/shared/openapi';

const DRAFT_07 = 'application/schema+json;version=draft-07';
const SCHEMAS = '#/components/schemas/';

/** What each server message is for (the AsyncAPI page shows it; docs/protocol.md has the full story). */
const SERVER_SUMMARIES: Record<Exclude<ServerMessageType, 'ack' | 'error'>, string> = {
  'session.state': 'First frame after every (re)connect: who you are, your active ride, your open request or offers.',
  'session.expiring': "The access token of this socket expires at expiresAt: answer with session.refresh, or the socket is closed with 4401.",
  'session.replaced': 'This socket was replaced by a newer connection of the same user; it closes next.',
  'driver.location': 'A live position of a followed driver (the assigned driver, or one an operator follows).',
  'ride.requested': 'To drivers: a ride request near you that you may bid on (again after a fare raise).',
  'ride.withdrawn': 'To drivers: an offer is gone (taken, cancelled, expired, rejected, or you were assigned another ride).',
  'bid.rejected': 'To drivers: your bid lost (another bid won, or the request ended).',
  'bid.received': 'To customers: a driver bid on your request (as offered or a counter-offer), with the vehicle type asked for.',
  'bid.expired': 'To customers: a bid ran out (30 s).',
  'bid.withdrawn': 'To customers: a driver took back a bid (went offline, or was assigned another ride).',
  'ride.assigned': 'To both parties: a bid was accepted; the ride and the other party.',
  'ride.cancelled': 'To the other party: the ride was cancelled (by whom, why).',
  'ride.status': 'To the customer: the ride moved on (arrived, in_progress, completed).',
  'ride.expired': 'To the customer: nobody was assigned within the request lifetime (3 minutes).',
  'ops.snapshot': 'To operators: the operations picture (full, or a delta on the previous snapshot).',
  'chat.message': 'To the other party of a ride: a chat message (stored before it is sent; carries the ride seq).',
};

const CLIENT_SUMMARIES: Record<ClientMessageType, string> = {
  'driver.online': 'Go online at a position (needs a vehicle on file).',
  'driver.offline': 'Go offline; open bids are withdrawn.',
  'location.update': 'A position fix; sent without id on the hot path (no ack).',
  'bid.place': 'Bid on an offered request: its fare accepts as offered, a higher one counters.',
  'ride.arrived': 'The driver is at the pickup.',
  'ride.start': 'The trip started.',
  'ride.complete': 'The trip ended; the fare is settled.',
  'ride.request': 'Ask for a ride at a fare in a vehicle type (car, bike, rickshaw; default car); the ack carries the ride and the fare estimate of that type.',
  'ride.raise_fare': 'Raise the fare of an open request (drivers who have not bid get it again).',
  'bid.accept': 'Accept a bid: exactly one of concurrent accepts and cancels wins.',
  'driver.follow': "Follow a driver's live location.",
  'driver.unfollow': 'Stop following.',
  'ride.cancel': 'Cancel a ride (with the status the app showed, to refuse a cancel of a newer state).',
  'chat.send': 'Either party of an assigned/arrived/in-progress ride: a chat message (1..1000 characters) to the other party; the ack carries its id and time.',
  ping: "The server's clock; keeps idle connections alive through proxies.",
  'ops.subscribe': 'Operators: receive ops.snapshot frames.',
  'session.refresh': 'A fresh access token of the same user (after session.expiring); the socket then lives until its exp.',
  'session.resume': "After a reconnect: the ride's frames after the given seq, in order, then the ack with the ride's last seq.",
  'ops.ride': "Operators: one ride's detail and timeline.",
  'ops.unsubscribe': 'Operators: stop the snapshots.',
};

/** `ride.raise_fare` -> `RideRaiseFare`. */
function pascal(type: string): string {
  return type
    .split(/[._]/)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

type JsonSchema = Record<string, unknown>;

/** Drops what a component must not repeat ($schema, $id), and, on output, closed objects (servers add fields). */
function tidy(schema: JsonSchema, io: 'input' | 'output'): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    const copy: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || key === '$id') continue;
      if (io === 'output' && key === 'additionalProperties' && value === false) continue;
      copy[key] = walk(value);
    }
    return copy;
  };
  return walk(schema) as JsonSchema;
}

interface SchemaComponents {
  schemas: Record<string, JsonSchema>;
  /** `#/components/schemas/...` of a schema, by the schema. */
  refOf(schema: z.ZodType): { $ref: string };
}

function schemaComponents(): SchemaComponents {
  // What the server sends: the protocol's named schemas, each message's data and each ack.
  const outputs = z.registry<{ id: string }>();
  const named = new Map<z.ZodType, string>();
  const add = (schema: z.ZodType, name: string) => {
    if (named.has(schema)) return;
    named.set(schema, name);
    outputs.add(schema, { id: name });
  };
  for (const [schema, name] of protocolSchemaNames()) add(schema, name);
  add(ErrorCodeEnum, 'ErrorCode');
  for (const [type, schema] of Object.entries(serverMessageData)) {
    if (type !== 'ack' && type !== 'error') add(schema, `${pascal(type)}Data`);
  }
  for (const [type, schema] of Object.entries(clientMessageAcks)) {
    if (schema) add(schema, `${pascal(type)}AckData`);
  }
  const converted = z.toJSONSchema(outputs, {
    target: 'draft-7',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `${SCHEMAS}${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  const components: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(converted.schemas)) components[name] = tidy(schema, 'output');
  const refOf = (schema: z.ZodType) => {
    const name = named.get(schema);
    if (name === undefined) throw new Error('a message schema has no component');
    return { $ref: `${SCHEMAS}${name}` };
  };
  // What clients send, as the server accepts it (inline: the server's input forms are its own).
  for (const type of CLIENT_MESSAGE_TYPES) {
    const schema = z.toJSONSchema(clientMessageData[type], { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema;
    components[`${pascal(type)}Data`] = tidy(schema, 'input');
  }
  return { schemas: components, refOf };
}

const messageId = { type: 'string', minLength: 1, maxLength: 64, description: 'Chosen by the client; the ack or error carries it back. Re-sending the same id after a reconnect is answered again, not applied twice.' };

const RIDE_SEQ_SCHEMA: JsonSchema = {
  type: 'integer',
  minimum: 1,
  description: "The ride's event number: grows by one with each event of that ride (resume with session.resume).",
};

function isRideFrame(type: ServerMessageType): boolean {
  return type.startsWith('ride.') || type.startsWith('bid.') || type.startsWith('chat.');
}

function envelope(type: string, data: JsonSchema | undefined, extra: Record<string, JsonSchema> = {}, required: string[] = []): JsonSchema {
  return {
    schemaFormat: DRAFT_07,
    schema: {
      type: 'object',
      properties: { type: { type: 'string', const: type }, ...extra, ...(data ? { data } : {}) },
      required: ['type', ...required],
    },
  };
}

export function buildAsyncApiDocument(version: string): Record<string, unknown> {
  const components = schemaComponents();
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const channelMessages: Record<string, { $ref: string }> = {};
  const channelRef = { $ref: '#/channels/socket' };
  const addMessage = (key: string, message: JsonSchema) => {
    messages[key] = message;
    channelMessages[key] = { $ref: `#/components/messages/${key}` };
  };
  const inChannel = (key: string) => ({ $ref: `#/channels/socket/messages/${key}` });

  addMessage('Error', {
    name: 'error',
    title: 'error',
    summary: 'The answer to a client message that failed (with its id), or to a frame that could not be read.',
    contentType: 'application/json',
    payload: {
      schemaFormat: DRAFT_07,
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string', const: 'error' },
          id: messageId,
          error: {
            type: 'object',
            properties: {
              code: { $ref: `${SCHEMAS}ErrorCode` },
              message: { type: 'string' },
              details: { type: 'object', additionalProperties: true },
            },
            required: ['code', 'message'],
          },
        },
        required: ['type', 'error'],
      },
    },
  });

  for (const type of CLIENT_MESSAGE_TYPES) {
    const key = pascal(type);
    addMessage(key, {
      name: type,
      title: type,
      summary: CLIENT_SUMMARIES[type],
      description: `Sent by: ${clientMessageRoles[type].join(', ')}.`,
      contentType: 'application/json',
      payload: envelope(type, { $ref: `${SCHEMAS}${key}Data` }, { id: messageId }),
    });
    const ack = clientMessageAcks[type];
    addMessage(`${key}Ack`, {
      name: 'ack',
      title: `ack of ${type}`,
      summary: ack ? `The answer to ${type} sent with an id.` : `The answer to ${type} sent with an id (no data).`,
      contentType: 'application/json',
      payload: envelope('ack', ack ? components.refOf(ack) : undefined, { id: messageId }, ['id']),
    });
    operations[`receive${key}`] = {
      action: 'receive',
      channel: channelRef,
      title: type,
      summary: CLIENT_SUMMARIES[type],
      description: `Sent by: ${clientMessageRoles[type].join(', ')}. With an \`id\`, answered by an ack (or an error) with that id.`,
      messages: [inChannel(key)],
      reply: { channel: channelRef, messages: [inChannel(`${key}Ack`), inChannel('Error')] },
    };
  }

  for (const type of Object.keys(serverMessageData) as ServerMessageType[]) {
    if (type === 'ack' || type === 'error') continue;
    const key = pascal(type);
    addMessage(key, {
      name: type,
      title: type,
      summary: SERVER_SUMMARIES[type],
      contentType: 'application/json',
      // Frames about one ride carry the ride's event seq in the envelope (apps drop a seq already applied).
      payload: isRideFrame(type)
        ? envelope(type, components.refOf(serverMessageData[type]), { seq: RIDE_SEQ_SCHEMA }, ['data', 'seq'])
        : envelope(type, components.refOf(serverMessageData[type]), {}, ['data']),
    });
    operations[`send${key}`] = {
      action: 'send',
      channel: channelRef,
      title: type,
      summary: SERVER_SUMMARIES[type],
      messages: [inChannel(key)],
    };
  }

  return {
    asyncapi: '3.1.0',
    info: {
      title: 'Drivrr realtime WebSocket',
      version,
      description: [
        'Drivers online and their live locations, ride requests, bids and counter-offers, the ride lifecycle, the operations map.',
        'Every frame is a JSON envelope `{type, id?, data?}`; a client message with an `id` is answered by `{type:"ack", id, data?}`',
        'or `{type:"error", id, error:{code, message, details?}}`. Unknown types, bad JSON, bad fields and frames over',
        `${MAX_FRAME_BYTES} bytes get an error and the socket stays open; floods get rate_limited, then a close (1008).`,
        'Error codes grow: clients must tolerate unknown ones.',
      ].join(' '),
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/ws',
        description: `The realtime service. Authenticate with an access token from the auth service: the header \`Authorization: Bearer T\` (apps), or, from a browser, the subprotocols \`["${WS_SUBPROTOCOL}", "bearer.T"]\` (answered with \`${WS_SUBPROTOCOL}\`), or \`?token=T\` (lands in proxy logs: prefer the others). A missing, expired or forged token is refused with HTTP 401 before the upgrade.`,
        variables: { host: { default: 'localhost:8081', description: 'host:port of the realtime service' } },
        security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/queryToken' }],
      },
    },
    channels: {
      socket: {
        address: '/ws',
        title: 'The WebSocket',
        description: 'One socket per app; every message of both directions travels on it.',
        messages: channelMessages,
      },
    },
    operations,
    components: {
      schemas: components.schemas,
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the auth service (POST /api/auth/otp/verify).' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The same token as ?token=T (for clients that can set neither headers nor subprotocols).' },
      },
    },
  };
}
