/**
 * The live operations map: signs the operator in, opens the operator socket, and draws every
 * snapshot on a canvas (the vector base map needs no tiles). Query parameters:
 *   ?token=ACCESS_TOKEN  use this operator token (from `drivrr login --role operator --json`)
 *   ?auth=URL            the auth service (default: this host, port 3000)
 *   ?ws=URL              the realtime socket (default: this host and port, /ws)
 */
import type { OpsSnapshot } from '@drivrr/shared/protocol';
import { AuthClient, clearSession, loadSession, saveSession, type StoredSession } from './auth';
import { INITIAL_BOUNDS } from './karachi';
import { FrameStats, OpsModel } from './model';
import { drawFrame, hitTestRide, type FrameResult } from './render';
import { OpsSocket, type LinkState } from './socket';
import { byId, EntityList, hideTimeline, renderCounters, renderFreshness, renderLists, renderTimeline, setLinkState } from './ui';
import { MapView, type LatLng } from './view';

const params = new URLSearchParams(location.search);
const authUrl = (params.get('auth') ?? `${location.protocol}//${location.hostname}:3000`).replace(/\/+$/, '');
const wsUrl = params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const auth = new AuthClient(authUrl);

// A token handed in the address is taken once and removed from it (and from the history).
const tokenParam = params.get('token');
if (tokenParam) {
  saveSession({ accessToken: tokenParam, refreshToken: undefined });
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
}

const canvas = byId<HTMLCanvasElement>('map');
const ctx = canvas.getContext('2d', { alpha: false });
if (!ctx) throw new Error('this browser cannot draw on a canvas');
const view = new MapView({ center: { lat: 24.8607, lng: 67.0311 }, metresPerPx: 30, width: innerWidth, height: innerHeight });
const model = new OpsModel();
const entities = new EntityList();
const stats = new FrameStats();
let lastFrame: FrameResult | undefined;
let selectedRideId: string | undefined;
let userMovedMap = false;
let fittedToFleet = false;
let listsDirty = true;
let entitiesDueAt = 0;
let socket: OpsSocket | undefined;

function resize(): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(innerWidth * dpr);
  canvas.height = Math.round(innerHeight * dpr);
  ctx!.setTransform(dpr, 0, 0, dpr, 0, 0);
  view.resize(innerWidth, innerHeight);
}
resize();
view.fit([...INITIAL_BOUNDS]);
addEventListener('resize', resize);

// ---- pan, zoom, click ------------------------------------------------------------------------
let drag: { x: number; y: number; moved: number } | undefined;
canvas.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY, moved: 0 };
  canvas.setPointerCapture(e.pointerId);
});
canvas.addEventListener('pointermove', (e) => {
  if (!drag) return;
  const dx = e.clientX - drag.x;
  const dy = e.clientY - drag.y;
  drag.moved += Math.abs(dx) + Math.abs(dy);
  if (drag.moved > 3) {
    canvas.classList.add('dragging');
    view.panBy(dx, dy);
    userMovedMap = true;
  }
  drag.x = e.clientX;
  drag.y = e.clientY;
});
canvas.addEventListener('pointerup', (e) => {
  const wasClick = drag !== undefined && drag.moved <= 3;
  drag = undefined;
  canvas.classList.remove('dragging');
  if (wasClick && lastFrame) {
    const rideId = hitTestRide(lastFrame, { x: e.clientX, y: e.clientY });
    if (rideId) void openTimeline(rideId);
  }
});
canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    view.zoomAt({ x: e.clientX, y: e.clientY }, Math.exp(-e.deltaY * 0.0015));
    userMovedMap = true;
  },
  { passive: false },
);
const zoomCenter = () => ({ x: view.width / 2, y: view.height / 2 });
byId('zoom-in').onclick = () => {
  view.zoomAt(zoomCenter(), 1.5);
  userMovedMap = true;
};
byId('zoom-out').onclick = () => {
  view.zoomAt(zoomCenter(), 1 / 1.5);
  userMovedMap = true;
};
byId('zoom-fit').onclick = () => fitToEverything();
byId('timeline-close').onclick = () => {
  selectedRideId = undefined;
  hideTimeline();
  listsDirty = true;
};

function everythingPoints(): LatLng[] {
  const points: LatLng[] = [];
  for (const track of model.drivers.values()) points.push(track.to);
  for (const r of model.requests) points.push(r.pickup, r.dropoff);
  for (const r of model.rides) points.push(r.pickup, r.dropoff);
  return points;
}
function fitToEverything(): void {
  const points = everythingPoints();
  view.fit(points.length > 0 ? points : [...INITIAL_BOUNDS]);
}

// ---- timeline ----------------------------------------------------------------------------------
let timelineFetch: { rideId: string; fingerprint: string } | undefined;
function rideFingerprint(rideId: string): string {
  const r = model.findRide(rideId);
  if (!r) return 'gone';
  return 'status' in r ? r.status : `requested:${r.fare}:${r.openBids}:${r.totalBids}`;
}
async function openTimeline(rideId: string): Promise<void> {
  selectedRideId = rideId;
  listsDirty = true;
  timelineFetch = { rideId, fingerprint: rideFingerprint(rideId) };
  try {
    if (!socket) return;
    const { ride } = await socket.rideDetail(rideId);
    if (selectedRideId === rideId) renderTimeline(ride);
  } catch (error) {
    byId('timeline-summary').textContent = `cannot load this ride: ${(error as Error).message}`;
    byId('timeline').hidden = false;
  }
}

// ---- snapshots ---------------------------------------------------------------------------------
let resyncing = false;
function onSnapshot(snapshot: OpsSnapshot): void {
  if (!model.apply(snapshot, performance.now())) {
    // A delta on a picture this page never got (e.g. a frame lost across a reconnect): subscribe
    // again, which always brings a whole picture.
    if (model.needsFullSnapshot && !resyncing && socket) {
      resyncing = true;
      void socket.request('ops.subscribe', {}).finally(() => (resyncing = false));
    }
    return;
  }
  renderCounters(snapshot.counters);
  listsDirty = true;
  entitiesDueAt = 0;
  if (!fittedToFleet && !userMovedMap && model.drivers.size + model.requests.length + model.rides.length > 0) {
    fittedToFleet = true;
    const points = everythingPoints();
    if (points.some((p) => !view.onScreen(view.project(p), -20))) view.fit([...points, ...INITIAL_BOUNDS]);
  }
  // The selected ride changed (a bid, a status): fetch its timeline again.
  if (selectedRideId && timelineFetch && rideFingerprint(selectedRideId) !== timelineFetch.fingerprint) void openTimeline(selectedRideId);
}

// ---- the frame loop ----------------------------------------------------------------------------
function frame(ts: number): void {
  const started = performance.now();
  lastFrame = drawFrame(ctx!, view, model, started, selectedRideId);
  if (listsDirty) {
    listsDirty = false;
    renderLists(model, selectedRideId, (id) => void openTimeline(id));
  }
  // The hidden entity list follows the drawing, 4 times a second at most.
  if (started >= entitiesDueAt) {
    entitiesDueAt = started + 250;
    entities.update(model, lastFrame);
    renderFreshness(model, started);
  }
  stats.record(ts, performance.now() - started);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// For the browser test and the 500-driver measurement.
declare global {
  interface Window {
    drivrrOps: { frameStats: () => ReturnType<FrameStats['summary']>; resetFrameStats: () => void; seq: () => number };
  }
}
window.drivrrOps = { frameStats: () => stats.summary(), resetFrameStats: () => stats.reset(), seq: () => model.seq };

// ---- sign-in and the socket --------------------------------------------------------------------
const loginForm = byId<HTMLFormElement>('login');
const loginMessage = byId('login-message');

function showLogin(message = ''): void {
  loginForm.hidden = false;
  loginMessage.textContent = message;
  byId<HTMLInputElement>('login-phone').focus();
}

async function onLinkState(state: LinkState, detail?: string): Promise<void> {
  setLinkState(state, detail);
  if (state !== 'refused') return;
  // The access token ran out or is not an operator's: refresh once, else sign in again.
  const session = loadSession();
  if (session?.refreshToken) {
    try {
      const fresh = await auth.refresh(session.refreshToken);
      saveSession(fresh);
      socket?.useToken(fresh.accessToken);
      return;
    } catch {
      // fall through to a new sign-in
    }
  }
  clearSession();
  showLogin(detail ? `Signed out: ${detail}` : 'Please sign in.');
}

/** session.expiring: a good app refreshes its token and hands it to the open socket. */
async function onExpiring(): Promise<void> {
  const session = loadSession();
  if (!session?.refreshToken) return; // a ?token= session cannot refresh: the socket closes at expiry
  try {
    const fresh = await auth.refresh(session.refreshToken);
    saveSession(fresh);
    socket?.refreshSession(fresh.accessToken);
  } catch {
    // the close at expiry (4401) leads to a new sign-in
  }
}

function connect(session: StoredSession): void {
  loginForm.hidden = true;
  if (socket) {
    socket.useToken(session.accessToken);
    return;
  }
  socket = new OpsSocket(wsUrl, session.accessToken, { snapshot: onSnapshot, state: (s, d) => void onLinkState(s, d), expiring: () => void onExpiring() });
  socket.connect();
}

byId('login-send').onclick = async () => {
  const phone = byId<HTMLInputElement>('login-phone').value.trim();
  loginMessage.textContent = 'Sending…';
  try {
    const sent = await auth.sendCode(phone);
    loginMessage.textContent = `Code sent (valid ${Math.round(sent.expiresInS / 60)} min). In development, \`drivrr otp ${phone}\` shows it.`;
    byId<HTMLInputElement>('login-code').focus();
  } catch (error) {
    loginMessage.textContent = (error as Error).message;
  }
};
loginForm.onsubmit = async (e) => {
  e.preventDefault();
  const phone = byId<HTMLInputElement>('login-phone').value.trim();
  const code = byId<HTMLInputElement>('login-code').value.trim();
  loginMessage.textContent = 'Signing in…';
  try {
    const session = await auth.verify(phone, code);
    saveSession(session);
    loginMessage.textContent = '';
    connect(session);
  } catch (error) {
    loginMessage.textContent = (error as Error).message;
  }
};

byId('sign-out').onclick = () => {
  const session = loadSession();
  clearSession();
  socket?.close();
  setLinkState('refused', 'signed out');
  if (session?.refreshToken) void auth.logout(session.refreshToken);
  showLogin('Signed out.');
};

const existing = loadSession();
if (existing) connect(existing);
else showLogin();
