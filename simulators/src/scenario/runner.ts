/**
 * Runs a scripted scenario against a live stack: logs each actor in through OTP (random test
 * phones, so runs never collide), executes the steps in order, checks every expectation with a
 * clear "expected X, got Y" message, and always cleans up (open rides cancelled, drivers offline,
 * sockets closed) so a failed run leaves nothing behind on a shared stack.
 */
import { clientMessageData, type ClientMessageType } from '@drivrr/shared/protocol';
import { AuthApi, httpBaseOf, loginWithOtp, type UserSession } from '../client/api.js';
import { ProtocolClient, ProtocolRefusal, ProtocolTimeout, type InboundFrame, type ProtocolIssue } from '../client/protocol-client.js';
import { DEFAULT_TEST_CODE, scenarioPhone } from '../sim/identity.js';
import { createRng } from '../sim/rng.js';
import {
  getPath,
  mismatch,
  resolve,
  ScenarioError,
  type FrameStep,
  type HttpStep,
  type Scenario,
  type SendStep,
  type Step,
  type Vars,
} from './dsl.js';

export interface ScenarioRunOptions {
  authUrl: string;
  wsUrl: string;
  /** The realtime service's HTTP base; default: derived from wsUrl (ws://host:port/ws -> http://host:port). */
  realtimeUrl?: string;
  /**
   * The WebSocket the driver actors connect to; default: wsUrl. Pointed at another node of a
   * cluster than wsUrl, customers and drivers meet only through the cluster (Redis).
   */
  driverWsUrl?: string;
  otpCode?: string;
  /** Pause before each step: the narrated `--slow` demo mode. */
  pauseMs?: number;
  /** Seeds the actors' phone numbers (default: random per run). */
  seed?: number;
  onEvent?: (event: ScenarioEvent) => void;
}

export type ScenarioEvent =
  | { kind: 'setup'; message: string }
  | { kind: 'step'; index: number; total: number; title: string; narration: string | undefined }
  | { kind: 'pass'; index: number; title: string; ms: number }
  | { kind: 'skip'; index: number; title: string; reason: string }
  | { kind: 'fail'; index: number; title: string; error: string }
  | { kind: 'teardown'; message: string };

export interface StepResult {
  index: number;
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'not_run';
  ms: number;
  error?: string;
  note?: string;
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  durationMs: number;
  steps: StepResult[];
  /** Why the run stopped, when it did not pass (setup, a step, or unexpected frames). */
  error?: string;
  /** Frames the contract does not allow (always a failure). */
  protocolIssues: string[];
}

interface Actor {
  name: string;
  role: 'customer' | 'driver';
  session: UserSession;
  client: ProtocolClient;
}

class StepFailure extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The title of a step in reports: its narration, else a description of what it does, with the
 * actors' display names when known.
 */
export function stepTitle(step: Step, nameOf: (actor: string) => string = (actor) => actor): string {
  if (step.say) return step.say;
  if ('send' in step) return `${nameOf(step.actor)} sends ${step.send}`;
  if ('expectFrame' in step) return `${nameOf(step.actor)} receives ${step.expectFrame}`;
  if ('expectNoFrame' in step) return `${nameOf(step.actor)} receives no ${step.expectNoFrame} for ${step.during} ms`;
  if ('http' in step) return `${nameOf(step.actor)} calls ${step.http.method} ${typeof step.http.path === 'string' ? step.http.path : '(computed path)'}`;
  if ('wait' in step) return `wait ${typeof step.wait === 'number' ? `${step.wait} ms` : ''}`.trim();
  if ('let' in step) return `compute ${Object.keys(step.let).join(', ')}`;
  if ('drop' in step) return `${nameOf(step.actor)} loses the connection`;
  if ('reconnect' in step) return `${nameOf(step.actor)} reconnects`;
  if ('parallel' in step) return `at once: ${step.parallel.map((inner) => stepTitle(inner, nameOf)).join('; ')}`;
  if ('race' in step) return `race: ${step.race.map((entry) => stepTitle(entry.step, nameOf)).join(' vs ')}`;
  return 'check';
}

/** Fills `{{var.path}}` in narration from the variables; `{{fare|money}}` shows minor units as whole rupees. */
export function narrate(text: string | undefined, vars: Vars): string | undefined {
  if (!text) return text;
  return text.replace(/\{\{\s*([\w.]+)\s*(\|money)?\s*\}\}/g, (whole, path: string, money: string | undefined) => {
    const value = getPath(vars, path);
    if (value === undefined) return whole;
    return money && typeof value === 'number' ? `Rs ${Math.round(value / 100).toLocaleString('en-US')}` : String(value);
  });
}

export async function runScenario(scenario: Scenario, options: ScenarioRunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const emit = options.onEvent ?? (() => undefined);
  const api = new AuthApi(options.authUrl);
  const realtimeApi = new AuthApi(options.realtimeUrl ?? httpBaseOf(options.wsUrl));
  const rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 31));
  const actors = new Map<string, Actor>();
  const runTag = rng.uint32().toString(36);
  const vars: Vars = {};
  const issues: string[] = [];
  const results: StepResult[] = scenario.steps.map((step, index) => ({ index: index + 1, title: stepTitle(step), status: 'not_run', ms: 0 }));
  let error: string | undefined;

  try {
    emit({ kind: 'setup', message: `logging in ${Object.keys(scenario.actors).length} actors with test phones` });
    await Promise.all(
      Object.entries(scenario.actors).map(async ([name, spec]) => {
        const phone = scenarioPhone(rng);
        const session = await loginWithOtp(api, phone, spec.role, options.otpCode ?? DEFAULT_TEST_CODE);
        await session.updateProfile({ name: spec.name });
        if (spec.role === 'driver' && spec.vehicle) await session.putVehicle(spec.vehicle);
        const client = new ProtocolClient({
          wsUrl: spec.role === 'driver' ? (options.driverWsUrl ?? options.wsUrl) : options.wsUrl,
          token: () => session.token(),
          freshToken: () => session.freshToken(),
          label: name.slice(0, 12),
          keepInbox: true,
          onIssue: (issue: ProtocolIssue) => issues.push(`${name}: ${issue.kind}: ${issue.detail}`),
        });
        const state = await client.connect();
        actors.set(name, { name, role: spec.role, session, client });
        vars[name] = { id: session.userId, name: spec.name, phone, role: spec.role, session: state.data };
      }),
    );
  } catch (setupError) {
    error = `setup failed: ${(setupError as Error).message}`;
  }

  const actorOf = (ref: string): Actor => {
    const name = ref.startsWith('$') ? String(resolve(ref, vars)) : ref;
    const actor = actors.get(name);
    if (!actor) throw new ScenarioError(`no actor named "${name}" (actors: ${[...actors.keys()].join(', ')})`);
    return actor;
  };

  const save = (saves: Record<string, string> | undefined, from: unknown, what: string) => {
    for (const [name, path] of Object.entries(saves ?? {})) {
      const value = getPath(from, path);
      if (value === undefined) throw new StepFailure(`${what} has no ${path} to save as $${name}: ${JSON.stringify(from)?.slice(0, 200)}`);
      vars[name] = value;
    }
  };

  const sendOnce = async (step: SendStep): Promise<{ ok: true; data: unknown } | { ok: false; code: string; message: string; details?: unknown }> => {
    const actor = actorOf(step.actor);
    const data = resolve(step.data ?? {}, vars) as Record<string, unknown>;
    const checked = clientMessageData[step.send as ClientMessageType].safeParse(data);
    if (!checked.success) {
      throw new ScenarioError(`the scenario's data for ${step.send} is invalid: ${checked.error.issues[0]?.path.join('.')} ${checked.error.issues[0]?.message}`);
    }
    try {
      // The schema's output is what goes on the wire, exactly as an app would build it.
      const ack = await actor.client.request(step.send, checked.data as never, { timeoutMs: step.timeoutMs ?? 10_000, ...(step.id ? { id: `${actor.name}-${step.id}-${runTag}` } : {}) });
      return { ok: true, data: ack };
    } catch (refusal) {
      if (refusal instanceof ProtocolRefusal) return { ok: false, code: refusal.code, message: refusal.message, details: refusal.details };
      if (refusal instanceof ProtocolTimeout) throw new StepFailure(`${actor.name} got no answer to ${step.send}: ${refusal.message}`);
      throw refusal;
    }
  };

  const runSend = async (step: SendStep): Promise<void> => {
    const outcome = await sendOnce(step);
    const expected = step.expect ?? 'ack';
    if (expected === 'ack') {
      if (!outcome.ok) throw new StepFailure(`expected an ack to ${step.send}, got error ${outcome.code}: ${outcome.message}`);
      if (step.ackMatches !== undefined) {
        const problem = mismatch(resolve(step.ackMatches, vars, true), outcome.data, 'ack', vars);
        if (problem) throw new StepFailure(problem);
      }
      save(step.save, outcome.data, `the ack to ${step.send}`);
      return;
    }
    const codes = Array.isArray(expected.error) ? expected.error : [expected.error];
    if (outcome.ok) throw new StepFailure(`expected ${step.send} to be refused with ${codes.join(' or ')}, got an ack: ${JSON.stringify(outcome.data)?.slice(0, 200)}`);
    if (!codes.includes(outcome.code)) throw new StepFailure(`expected error ${codes.join(' or ')} to ${step.send}, got ${outcome.code}: ${outcome.message}`);
    if (step.ackMatches !== undefined) {
      const problem = mismatch(resolve(step.ackMatches, vars, true), outcome.details, 'error.details', vars);
      if (problem) throw new StepFailure(problem);
    }
    save(step.save, outcome.details, `the error details of ${step.send}`);
  };

  const runFrame = async (step: FrameStep): Promise<void> => {
    const actor = actorOf(step.actor);
    const where = step.where === undefined ? undefined : resolve(step.where, vars, true);
    const within = Number(resolve(step.within ?? 10_000, vars));
    try {
      const frame = await actor.client.waitFor(step.expectFrame, (candidate) => where === undefined || mismatch(where, candidate.data, 'data', vars) === undefined, within);
      save(step.save, frame.data, `the ${step.expectFrame} frame`);
    } catch (waitError) {
      if (!(waitError instanceof ProtocolTimeout)) throw waitError;
      const sameType = actor.client.untaken(step.expectFrame);
      const why = sameType.length > 0 && where !== undefined ? `; the closest: ${mismatch(where, sameType[sameType.length - 1]!.data, 'data', vars)}` : '';
      const seen = recentTypes(actor.client.frames());
      throw new StepFailure(`${actor.name} received no ${step.expectFrame}${where === undefined ? '' : ` matching ${JSON.stringify(where)}`} within ${within} ms${why} (${actor.name} received: ${seen})`);
    }
  };

  const runHttp = async (step: HttpStep): Promise<void> => {
    const actor = actorOf(step.actor);
    const path = String(resolve(step.http.path, vars)).replace(/\/\$([\w.]+)/g, (_, name: string) => `/${String(resolve(`$${name}`, vars))}`);
    const body = step.http.body === undefined ? undefined : resolve(step.http.body, vars);
    const key = step.http.idempotencyKey === undefined ? undefined : String(resolve(step.http.idempotencyKey, vars));
    const callOptions = {
      ...(body === undefined ? {} : { body }),
      ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
    };
    const service = step.http.service === 'realtime' ? realtimeApi : api;
    const call = async () =>
      step.http.anonymous === true
        ? service.raw(step.http.method, path, callOptions)
        : step.http.service === 'realtime'
          ? realtimeApi.raw(step.http.method, path, { ...callOptions, token: await actor.session.token() })
          : actor.session.raw(step.http.method, path, callOptions);
    const statuses = Array.isArray(step.expectStatus) ? step.expectStatus : [step.expectStatus];
    const problemOf = (response: { status: number; body: unknown }): string | undefined => {
      if (!statuses.includes(response.status)) return `expected HTTP ${statuses.join(' or ')}, got ${response.status} ${JSON.stringify(response.body)?.slice(0, 200)}`;
      return step.expectBody === undefined ? undefined : mismatch(resolve(step.expectBody, vars, true), response.body, 'body', vars);
    };
    // Only a GET is asked again: repeating a write would be a second write.
    const deadline = Date.now() + (step.http.method === 'GET' ? (step.within ?? 0) : 0);
    let response = await call();
    let problem = problemOf(response);
    while (problem !== undefined && Date.now() < deadline) {
      await sleep(100);
      response = await call();
      problem = problemOf(response);
    }
    if (problem !== undefined) throw new StepFailure(`${step.http.method} ${path}: ${problem}${step.within ? ` (for ${step.within} ms)` : ''}`);
    save(step.save, response.body, `${step.http.method} ${path}`);
  };

  const runStep = async (step: Step): Promise<string | undefined> => {
    const skip = step.skipIf?.(vars);
    if (skip) return skip;
    if ('send' in step) await runSend(step);
    else if ('expectFrame' in step) await runFrame(step);
    else if ('expectNoFrame' in step) {
      const actor = actorOf(step.actor);
      const where = step.where === undefined ? undefined : resolve(step.where, vars, true);
      await sleep(step.during);
      const unwanted = actor.client.untaken(step.expectNoFrame, (frame) => where === undefined || mismatch(where, frame.data, 'data', vars) === undefined);
      if (unwanted.length > 0) throw new StepFailure(`expected ${actor.name} to receive no ${step.expectNoFrame}, got ${unwanted.length}: ${JSON.stringify(unwanted[0]!.data).slice(0, 200)}`);
    } else if ('http' in step) await runHttp(step);
    else if ('wait' in step) await sleep(Number(resolve(step.wait, vars)));
    else if ('let' in step) for (const [name, compute] of Object.entries(step.let)) vars[name] = compute(vars);
    else if ('drop' in step) actorOf(step.actor).client.drop();
    else if ('reconnect' in step) {
      const actor = actorOf(step.actor);
      const state = await actor.client.connect();
      (vars[actor.name] as Record<string, unknown>).session = state.data;
      if (step.expectSession !== undefined) {
        const problem = mismatch(resolve(step.expectSession, vars, true), state.data, 'session.state', vars);
        if (problem) throw new StepFailure(problem);
      }
    } else if ('parallel' in step) {
      const outcomes = await Promise.allSettled(step.parallel.map((inner) => runStep(inner)));
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    } else if ('race' in step) {
      const outcomes = await Promise.all(step.race.map((entry) => sendOnce(entry.step)));
      const winners = outcomes.filter((outcome) => outcome.ok).length;
      if (winners !== step.winners) {
        throw new StepFailure(`expected exactly ${step.winners} of ${outcomes.length} to win, ${winners} did: ${outcomes.map((o) => (o.ok ? 'ack' : o.code)).join(', ')}`);
      }
      outcomes.forEach((outcome, i) => {
        const entry = step.race[i]!;
        if (!outcome.ok && !step.loserErrors.includes(outcome.code)) {
          throw new StepFailure(`a losing ${entry.step.send} was refused with ${outcome.code} (${outcome.message}); expected ${step.loserErrors.join(' or ')}`);
        }
        Object.assign(vars, resolve((outcome.ok ? entry.onWin : entry.onLose) ?? {}, vars));
      });
    } else if ('check' in step) {
      const verdict = step.check(vars);
      if (verdict !== true) throw new StepFailure(verdict);
    }
    return undefined;
  };

  if (!error) {
    for (let i = 0; i < scenario.steps.length; i += 1) {
      const step = scenario.steps[i]!;
      const result = results[i]!;
      let narration: string | undefined;
      try {
        narration = narrate(step.say, vars);
      } catch {
        narration = step.say;
      }
      const nameOf = (actor: string) => {
        const known = vars[actor] as { name?: string } | undefined;
        return known?.name ?? actor;
      };
      result.title = narration ?? stepTitle(step, nameOf);
      emit({ kind: 'step', index: i + 1, total: scenario.steps.length, title: result.title, narration });
      // Demo pacing: the narration first, then a pause (to read it, and to watch the ops map), then the step.
      if (options.pauseMs && step.say) await sleep(options.pauseMs);
      const stepStarted = Date.now();
      try {
        const skipped = await runStep(step);
        result.ms = Date.now() - stepStarted;
        if (skipped) {
          result.status = 'skipped';
          result.note = skipped;
          emit({ kind: 'skip', index: i + 1, title: result.title, reason: skipped });
        } else {
          result.status = 'passed';
          emit({ kind: 'pass', index: i + 1, title: result.title, ms: result.ms });
        }
      } catch (stepError) {
        result.ms = Date.now() - stepStarted;
        result.status = 'failed';
        result.error = (stepError as Error).message;
        error = `step ${i + 1} (${result.title}) failed: ${result.error}`;
        emit({ kind: 'fail', index: i + 1, title: result.title, error: result.error });
        break;
      }
    }
  }

  emit({ kind: 'teardown', message: 'cleaning up: open rides cancelled, drivers offline, sockets closed' });
  await teardown([...actors.values()]);
  if (!error && issues.length > 0) error = `the server sent frames the contract does not allow: ${issues[0]}`;
  return { name: scenario.name, ok: error === undefined, durationMs: Date.now() - started, steps: results, ...(error ? { error } : {}), protocolIssues: issues };
}

function recentTypes(frames: InboundFrame[]): string {
  const types = frames.slice(-12).map((frame) => frame.type);
  return types.length === 0 ? 'nothing' : types.join(', ');
}

/** Leaves nothing open behind: cancels or ends the actors' live rides, drivers offline, logoff. */
async function teardown(actors: Actor[]): Promise<void> {
  await Promise.all(
    actors.map(async (actor) => {
      try {
        if (!actor.client.connected) await actor.client.connect().catch(() => undefined);
        if (actor.client.connected) {
          const response = await actor.session.raw('GET', '/api/rides?limit=5');
          const items = (response.body as { items?: { id: string; status: string }[] } | undefined)?.items ?? [];
          for (const ride of items) {
            if (ride.status === 'in_progress' && actor.role === 'driver') await actor.client.request('ride.complete', { rideId: ride.id }).catch(() => undefined);
            else if (['requested', 'assigned', 'arrived'].includes(ride.status)) {
              await actor.client.request('ride.cancel', { rideId: ride.id, reason: 'scenario ended' }).catch(() => undefined);
            }
          }
          if (actor.role === 'driver') await actor.client.request('driver.offline', {}).catch(() => undefined);
        }
      } finally {
        actor.client.close();
        await actor.session.logout();
      }
    }),
  );
}
