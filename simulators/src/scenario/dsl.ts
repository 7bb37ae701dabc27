/**
 * The language of scripted scenarios: a scenario is a list of steps for named actors (customers
 * and drivers logged in through OTP), each sending a protocol message, calling the REST API,
 * waiting, or expecting a frame, with expectations written as partial objects:
 *
 *   { actor: 'bilal', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } }
 *
 * Strings starting with `$` are variables saved by earlier steps (`$rideId`, `$bid.id`); every
 * actor is a variable too (`$bilal.id`, `$bilal.name`). Matchers: plain values (deep, partial),
 * `{ $gt | $gte | $lt | $lte: n }`, `{ $ne: v }`, `{ $oneOf: [...] }`, `{ $exists: bool }`,
 * `{ $len: n }`, `{ $some: matcher }`, `{ $count: [matcher, n] }`, or a function
 * `(actual, vars) => true | 'what is wrong'`.
 */
import type { ClientMessageType, ServerMessageType, VehicleBody } from '@drivrr/shared/protocol';
import { moveM } from '@drivrr/shared';
import { placeNamed } from '../sim/places.js';

export type Vars = Record<string, unknown>;
/** A literal (with `$var` strings inside) or a function of the variables. */
export type Value<T = unknown> = T | ((vars: Vars) => T);
export type Matcher = unknown;

export interface ActorSpec {
  role: 'customer' | 'driver';
  name: string;
  vehicle?: VehicleBody;
}

interface StepBase {
  /** The narration for `--slow` runs and the step's title in reports ("Bilal goes online"). */
  say?: string;
  /** Skip the step when this returns a reason (e.g. the stack's TTL is too long to wait for). */
  skipIf?: (vars: Vars) => string | false | undefined;
}

export interface SendStep extends StepBase {
  /** An actor name, or `$var` naming one. */
  actor: string;
  send: ClientMessageType;
  data?: Value<Record<string, unknown>>;
  /** A fixed message id (to show the server's dedupe of a re-sent message); default: a fresh one. */
  id?: string;
  /** Default: an ack. `{ error: 'code' }` expects that refusal. */
  expect?: 'ack' | { error: string | string[] };
  /** Partial match of the ack's data (or of the error's details). */
  ackMatches?: Matcher;
  /** Variables from the ack data: `{ rideId: 'rideId', suggested: 'estimate.suggestedFare' }`. */
  save?: Record<string, string>;
  timeoutMs?: number;
}

export interface FrameStep extends StepBase {
  actor: string;
  expectFrame: ServerMessageType;
  where?: Matcher;
  /** How long to wait (default 10 s); a function may read e.g. a ride's expiresAt. */
  within?: Value<number>;
  save?: Record<string, string>;
}

export interface NoFrameStep extends StepBase {
  actor: string;
  expectNoFrame: ServerMessageType;
  where?: Matcher;
  /** Watch for this long. */
  during: number;
}

export interface HttpStep extends StepBase {
  actor: string;
  http: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    path: Value<string>;
    body?: Value<unknown>;
    idempotencyKey?: Value<string>;
    /** Which service answers: the auth/REST one (default) or the realtime one (locations, track). */
    service?: 'auth' | 'realtime';
    /** Sent without the actor's token (a shared trip link is opened by someone with no account). */
    anonymous?: boolean;
  };
  expectStatus: number | number[];
  expectBody?: Matcher;
  /**
   * A GET of something that may lag a moment (in a cluster, another node's view of a driver's
   * position is up to CLUSTER_PRESENCE_FLUSH_MS old): asked again every 100 ms until status and
   * body match, for up to this long. Default: asked once.
   */
  within?: number;
  save?: Record<string, string>;
}

export interface WaitStep extends StepBase {
  wait: Value<number>;
}

export interface LetStep extends StepBase {
  let: Record<string, (vars: Vars) => unknown>;
}

export interface DropStep extends StepBase {
  actor: string;
  /** Lose the connection without a close handshake (a phone in a tunnel). */
  drop: true;
}

export interface ReconnectStep extends StepBase {
  actor: string;
  reconnect: true;
  /** Partial match of the `session.state` the server sends on reconnect. */
  expectSession?: Matcher;
}

export interface ParallelStep extends StepBase {
  parallel: Step[];
}

/**
 * Send steps run at the same moment; exactly `winners` of them must be acked and the rest
 * refused with one of `loserErrors`. Each entry's `onWin`/`onLose` saves variables.
 */
export interface RaceStep extends StepBase {
  race: { step: SendStep; onWin?: Vars; onLose?: Vars }[];
  winners: number;
  loserErrors: string[];
}

export interface CheckStep extends StepBase {
  /** A condition over the variables: true, or a message saying what is wrong. */
  check: (vars: Vars) => true | string;
}

export type Step = SendStep | FrameStep | NoFrameStep | HttpStep | WaitStep | LetStep | DropStep | ReconnectStep | ParallelStep | RaceStep | CheckStep;

export interface Scenario {
  name: string;
  title: string;
  /** What it shows, for `drivrr scenario list` and the docs. */
  description: string;
  /** What the stack must be configured with for every step to run (e.g. short TTLs). */
  requires?: string;
  actors: Record<string, ActorSpec>;
  steps: Step[];
}

export function scenario(definition: Scenario): Scenario {
  const names = Object.keys(definition.actors);
  if (names.length === 0) throw new Error(`scenario ${definition.name} has no actors`);
  return definition;
}

/** A named Karachi place as a ride's pickup/dropoff (with its address). */
export function place(name: string): { lat: number; lng: number; address: string } {
  const found = placeNamed(name);
  return { lat: found.lat, lng: found.lng, address: found.address };
}

/** A point `metres` from a named place (east by default): where a driver waits. */
export function near(name: string, metres: number, bearingDeg = 90): { lat: number; lng: number } {
  const point = moveM(placeNamed(name), bearingDeg, metres);
  return { lat: point.lat, lng: point.lng };
}

const VEHICLES: VehicleBody[] = [
  { make: 'Suzuki', model: 'Alto', color: 'White', plate: 'KHI-101', type: 'car' },
  { make: 'Toyota', model: 'Corolla', color: 'Silver', plate: 'BKW-202', type: 'car' },
  { make: 'Honda', model: 'CD 70', color: 'Red', plate: 'KMZ-303', type: 'bike' },
  { make: 'Sazgar', model: 'Rickshaw', color: 'Green', plate: 'LEB-404', type: 'rickshaw' },
  { make: 'Suzuki', model: 'Cultus', color: 'Grey', plate: 'AKR-505', type: 'car' },
  { make: 'Honda', model: 'City', color: 'Black', plate: 'BPL-606', type: 'car' },
];

/**
 * A driver with vehicle `vehicleIndex` of the list above: 0, 1, 4 and 5 are cars (what requests
 * ask for by default), 2 a bike and 3 a rickshaw (offered only requests of their type).
 */
export function driver(name: string, vehicleIndex = 0): ActorSpec {
  return { role: 'driver', name, vehicle: VEHICLES[vehicleIndex % VEHICLES.length]! };
}

export function customer(name: string): ActorSpec {
  return { role: 'customer', name };
}

// ---------------------------------------------------------------------------------------------
// Variables and matching

/** Reads `a.b.0.c` from a value. */
export function getPath(value: unknown, path: string): unknown {
  if (path === '' || path === '.') return value;
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Replaces `$var` / `$var.path` strings (deeply) with the variables' values. In data, a function
 * is called with the variables; in matchers (`keepFunctions`) it stays a predicate.
 */
export function resolve(value: unknown, vars: Vars, keepFunctions = false): unknown {
  if (typeof value === 'function') return keepFunctions ? value : resolve((value as (v: Vars) => unknown)(vars), vars);
  if (typeof value === 'string' && value.startsWith('$') && !value.startsWith('$$')) {
    const [name, ...rest] = value.slice(1).split('.');
    if (!Object.hasOwn(vars, name!)) throw new ScenarioError(`the variable $${name} is not set (set so far: ${Object.keys(vars).join(', ')})`);
    return getPath(vars[name!], rest.join('.'));
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, vars, keepFunctions));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolve(item, vars, keepFunctions);
    return out;
  }
  return value;
}

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

/**
 * Checks `actual` against `expected` (a matcher, variables already resolved). Returns undefined
 * when it matches, else the first mismatch as "path: expected X, got Y".
 */
export function mismatch(expected: Matcher, actual: unknown, path = 'data', vars: Vars = {}): string | undefined {
  if (typeof expected === 'function') {
    const verdict = (expected as (value: unknown, vars: Vars) => boolean | string)(actual, vars);
    return verdict === true ? undefined : `${path}: ${typeof verdict === 'string' ? verdict : `did not satisfy the check, got ${show(actual)}`}`;
  }
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const entries = Object.entries(expected as Record<string, unknown>);
    const operators = entries.filter(([key]) => key.startsWith('$'));
    if (operators.length > 0) {
      for (const [op, arg] of operators) {
        const problem = operator(op, arg, actual, path, vars);
        if (problem) return problem;
      }
      return undefined;
    }
    if (actual === null || typeof actual !== 'object') return `${path}: expected an object like ${show(expected)}, got ${show(actual)}`;
    for (const [key, value] of entries) {
      const problem = mismatch(value, (actual as Record<string, unknown>)[key], `${path}.${key}`, vars);
      if (problem) return problem;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${actual.length}`;
    for (let i = 0; i < expected.length; i += 1) {
      const problem = mismatch(expected[i], actual[i], `${path}.${i}`, vars);
      if (problem) return problem;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

function operator(op: string, arg: unknown, actual: unknown, path: string, vars: Vars): string | undefined {
  const num = (value: unknown) => (typeof value === 'number' ? value : Number.NaN);
  switch (op) {
    case '$gt':
      return num(actual) > num(arg) ? undefined : `${path}: expected > ${show(arg)}, got ${show(actual)}`;
    case '$gte':
      return num(actual) >= num(arg) ? undefined : `${path}: expected >= ${show(arg)}, got ${show(actual)}`;
    case '$lt':
      return num(actual) < num(arg) ? undefined : `${path}: expected < ${show(arg)}, got ${show(actual)}`;
    case '$lte':
      return num(actual) <= num(arg) ? undefined : `${path}: expected <= ${show(arg)}, got ${show(actual)}`;
    case '$ne':
      return mismatch(arg, actual, path, vars) === undefined ? `${path}: expected anything but ${show(arg)}` : undefined;
    case '$oneOf':
      return (arg as unknown[]).some((option) => mismatch(option, actual, path, vars) === undefined) ? undefined : `${path}: expected one of ${show(arg)}, got ${show(actual)}`;
    case '$exists':
      return (actual !== undefined && actual !== null) === arg ? undefined : `${path}: expected ${arg ? 'a value' : 'nothing'}, got ${show(actual)}`;
    case '$len':
      return Array.isArray(actual) && actual.length === arg ? undefined : `${path}: expected ${show(arg)} items, got ${Array.isArray(actual) ? actual.length : show(actual)}`;
    case '$some':
      return Array.isArray(actual) && actual.some((item) => mismatch(arg, item, path, vars) === undefined) ? undefined : `${path}: expected an item like ${show(arg)}, got ${show(actual)}`;
    case '$count': {
      const [matcher, count] = arg as [unknown, number];
      const found = Array.isArray(actual) ? actual.filter((item) => mismatch(matcher, item, path, vars) === undefined).length : -1;
      return found === count ? undefined : `${path}: expected ${count} items like ${show(matcher)}, got ${found}`;
    }
    default:
      return `${path}: unknown matcher ${op}`;
  }
}
