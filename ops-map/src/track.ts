/**
 * The shared-trip page, served by the realtime service at /track/:token with no login: the token
 * in the path is the whole grant. It reads the ride once (GET /api/track/:token), then follows it
 * through Server-Sent Events (/api/track/:token/events) until the ride ends, and draws pickup,
 * dropoff and the driver with the ops map's own rendering (render.ts, view.ts).
 */
import type { TrackEndedEvent, TrackLocationEvent, TrackView } from '@drivrr/shared/protocol';
import { drawBaseMap, drawPin } from './render';
import { byId } from './ui';
import { MapView, type LatLng } from './view';

const PICKUP_COLOR = '#4aa3ff';
const DROPOFF_COLOR = '#c792ea';
/** Not the pickup's blue: the one dot that moves must stand out. */
const DRIVER_COLOR = '#3ddc84';
const STATUS_TEXT: Record<TrackView['ride']['status'], string> = {
  requested: 'Looking for a driver',
  assigned: 'Driver on the way',
  arrived: 'Driver has arrived',
  in_progress: 'On the trip',
  completed: 'Trip completed',
  cancelled: 'Trip cancelled',
  expired: 'No driver found',
};

const canvas = byId<HTMLCanvasElement>('map');
const ctx = canvas.getContext('2d', { alpha: false });
if (!ctx) throw new Error('this browser cannot draw on a canvas');
const linkState = byId('link');
const statusEl = byId('status');
const driverEl = byId('driver');
const messageEl = byId('message');
const entitiesEl = byId('entities');

const token = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const view = new MapView({ center: { lat: 24.8607, lng: 67.0011 }, metresPerPx: 12, width: innerWidth, height: innerHeight });
let trip: TrackView | undefined;
let fitted = false;
let dirty = true;

function setLink(state: 'connecting' | 'live' | 'ended' | 'not_found', text: string): void {
  linkState.dataset.state = state;
  linkState.textContent = text;
}

function driverAt(): LatLng | undefined {
  const d = trip?.driver;
  return d && d.lat !== null && d.lng !== null ? { lat: d.lat, lng: d.lng } : undefined;
}

function showTrip(): void {
  if (!trip) return;
  statusEl.textContent = STATUS_TEXT[trip.ride.status];
  statusEl.dataset.value = trip.ride.status;
  const d = trip.driver;
  const vehicle = d?.vehicle ? `${d.vehicle.color} ${d.vehicle.make} ${d.vehicle.model} · ${d.vehicle.plate}` : '';
  driverEl.textContent = d ? [d.name ?? 'Your driver', vehicle].filter(Boolean).join(' · ') : '';
  // The hidden list of what is drawn, for tests and screen readers.
  const items: { kind: string; at: LatLng | undefined }[] = [
    { kind: 'pickup', at: trip.ride.pickup },
    { kind: 'dropoff', at: trip.ride.dropoff },
    { kind: 'driver', at: driverAt() },
  ];
  entitiesEl.replaceChildren(
    ...items
      .filter((item) => item.at !== undefined)
      .map((item) => {
        const li = document.createElement('li');
        li.dataset.kind = item.kind;
        // The driver's marker has his vehicle's shape.
        if (item.kind === 'driver') li.dataset.vehicleType = trip!.ride.vehicleType;
        li.dataset.lat = String(item.at!.lat);
        li.dataset.lng = String(item.at!.lng);
        li.textContent = `${item.kind} at ${item.at!.lat.toFixed(5)}, ${item.at!.lng.toFixed(5)}`;
        return li;
      }),
  );
  if (!fitted) {
    view.fit([trip.ride.pickup, trip.ride.dropoff, ...(driverAt() ? [driverAt()!] : [])], 80);
    fitted = true;
  }
  dirty = true;
}

function draw(): void {
  requestAnimationFrame(draw);
  if (!dirty) return;
  dirty = false;
  const dpr = window.devicePixelRatio || 1;
  ctx!.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawBaseMap(ctx!, view);
  if (!trip) return;
  const pickup = view.project(trip.ride.pickup);
  const dropoff = view.project(trip.ride.dropoff);
  const driver = driverAt();
  ctx!.lineWidth = 3;
  ctx!.strokeStyle = 'rgba(74,163,255,0.9)';
  if (driver && trip.ride.status !== 'in_progress') {
    const at = view.project(driver);
    ctx!.setLineDash([6, 5]);
    ctx!.beginPath();
    ctx!.moveTo(at.x, at.y);
    ctx!.lineTo(pickup.x, pickup.y);
    ctx!.stroke();
    ctx!.setLineDash([]);
  }
  const from = trip.ride.status === 'in_progress' && driver ? view.project(driver) : pickup;
  ctx!.beginPath();
  ctx!.moveTo(from.x, from.y);
  ctx!.lineTo(dropoff.x, dropoff.y);
  ctx!.stroke();
  drawPin(ctx!, pickup, PICKUP_COLOR, 7);
  drawPin(ctx!, dropoff, DROPOFF_COLOR, 7);
  // The driver drawn in his vehicle's shape, like on the ops map (car dot, bike triangle, rickshaw square).
  if (driver) drawPin(ctx!, view.project(driver), DRIVER_COLOR, 9, trip.ride.vehicleType);
}

function resize(): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(innerWidth * dpr);
  canvas.height = Math.round(innerHeight * dpr);
  view.resize(innerWidth, innerHeight);
  dirty = true;
}

function ended(status: TrackView['ride']['status'] | undefined, text: string): void {
  setLink('ended', 'ended');
  if (trip && status) trip.ride.status = status;
  showTrip();
  messageEl.textContent = text;
}

function follow(): void {
  const events = new EventSource(`/api/track/${encodeURIComponent(token)}/events`);
  events.addEventListener('open', () => setLink('live', 'live'));
  events.addEventListener('track', (e) => {
    trip = JSON.parse((e as MessageEvent<string>).data) as TrackView;
    setLink('live', 'live');
    showTrip();
  });
  events.addEventListener('location', (e) => {
    const fix = JSON.parse((e as MessageEvent<string>).data) as TrackLocationEvent;
    if (trip?.driver) {
      trip.driver.lat = fix.lat;
      trip.driver.lng = fix.lng;
      trip.driver.ts = fix.ts;
      showTrip();
    }
  });
  events.addEventListener('ended', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as TrackEndedEvent;
    events.close();
    ended(data.status, 'This trip has ended; the link no longer shows it.');
  });
  // The browser reconnects by itself; a link that ended meanwhile answers 410 and is checked once.
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.CLOSED) {
      setLink('connecting', 'reconnecting…');
      return;
    }
    void start();
  });
}

async function start(): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`/api/track/${encodeURIComponent(token)}`, { headers: { accept: 'application/json' } });
  } catch {
    setLink('connecting', 'offline');
    messageEl.textContent = 'Cannot reach Drivrr right now; retrying.';
    setTimeout(() => void start(), 3_000);
    return;
  }
  if (res.status === 404) {
    setLink('not_found', 'unknown link');
    messageEl.textContent = 'This link does not show any trip.';
    return;
  }
  if (res.status === 410) {
    ended(undefined, 'This trip has ended; the link no longer shows it.');
    return;
  }
  if (!res.ok) {
    messageEl.textContent = `Drivrr answered ${res.status}; retrying.`;
    setTimeout(() => void start(), 3_000);
    return;
  }
  trip = (await res.json()) as TrackView;
  showTrip();
  follow();
}

addEventListener('resize', resize);
resize();
requestAnimationFrame(draw);
void start();
