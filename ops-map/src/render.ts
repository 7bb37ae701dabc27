/**
 * Draws one frame on the canvas: the vector base map, then requests, ride lines and drivers.
 * Returns where each ride was drawn (screen px), which the page uses for clicks and exposes in
 * its hidden entity list for tests.
 */
import type { OpsDriverStatus, VehicleType } from '@drivrr/shared/protocol';
import { PLACES, RIVERS, ROADS, SEA, type Path } from './karachi';
import { formatMoney, type OpsModel } from './model';
import { distanceToSegment, type MapView, type Point } from './view';

export const DRIVER_COLORS: Record<OpsDriverStatus, string> = {
  idle: '#3ddc84',
  offered: '#ffb300',
  on_ride: '#4aa3ff',
};
/**
 * Vehicle types are told apart by shape, so the colour can keep saying the status: a car is a
 * dot, a bike a triangle, a rickshaw a square (the legend in index.html shows the same).
 */
export const VEHICLE_SHAPES: Record<VehicleType, 'circle' | 'triangle' | 'square'> = {
  car: 'circle',
  bike: 'triangle',
  rickshaw: 'square',
};
const REQUEST_COLOR = '#ff5c8a';

/** Adds one driver's marker to the current path (no stroke or fill: drivers are batched). */
function traceVehicle(ctx: CanvasRenderingContext2D, p: Point, radius: number, vehicleType: VehicleType): void {
  switch (VEHICLE_SHAPES[vehicleType]) {
    case 'circle':
      ctx.moveTo(p.x + radius, p.y);
      ctx.arc(p.x, p.y, radius, 0, Math.PI * 2);
      break;
    case 'triangle': {
      const r = radius * 1.35;
      ctx.moveTo(p.x, p.y - r);
      ctx.lineTo(p.x + r * 0.87, p.y + r * 0.5);
      ctx.lineTo(p.x - r * 0.87, p.y + r * 0.5);
      ctx.closePath();
      break;
    }
    case 'square': {
      const r = radius * 0.9;
      ctx.rect(p.x - r, p.y - r, 2 * r, 2 * r);
      break;
    }
  }
}
const DROPOFF_COLOR = '#c792ea';

export interface DrawnRide {
  rideId: string;
  kind: 'request' | 'ride';
  /** Pickup marker position, and the line's points (driver -> pickup -> dropoff for rides). */
  pickup: Point;
  points: Point[];
}

export interface FrameResult {
  rides: Map<string, DrawnRide>;
}

function tracePath(ctx: CanvasRenderingContext2D, view: MapView, path: Path): void {
  path.forEach(([lat, lng], i) => {
    const p = view.project({ lat, lng });
    if (i === 0) ctx.moveTo(p.x, p.y);
    else ctx.lineTo(p.x, p.y);
  });
}

/** The vector base map (sea, rivers, roads, places) and a scale grid; the track page draws on it too. */
export function drawBaseMap(ctx: CanvasRenderingContext2D, view: MapView): void {
  ctx.fillStyle = '#1b2230';
  ctx.fillRect(0, 0, view.width, view.height);

  // A 1 km grid (5 km when zoomed far out) for scale.
  const stepM = view.metresPerPx > 60 ? 5_000 : 1_000;
  const topLeft = view.unproject({ x: 0, y: 0 });
  const bottomRight = view.unproject({ x: view.width, y: view.height });
  const stepLat = stepM / 110_574;
  const stepLng = stepM / (111_320 * Math.cos((view.center.lat * Math.PI) / 180));
  ctx.strokeStyle = 'rgba(255,255,255,0.05)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let lat = Math.floor(bottomRight.lat / stepLat) * stepLat; lat <= topLeft.lat; lat += stepLat) {
    const y = view.project({ lat, lng: topLeft.lng }).y;
    ctx.moveTo(0, y);
    ctx.lineTo(view.width, y);
  }
  for (let lng = Math.floor(topLeft.lng / stepLng) * stepLng; lng <= bottomRight.lng; lng += stepLng) {
    const x = view.project({ lat: topLeft.lat, lng }).x;
    ctx.moveTo(x, 0);
    ctx.lineTo(x, view.height);
  }
  ctx.stroke();

  ctx.fillStyle = '#0f2a44';
  ctx.beginPath();
  tracePath(ctx, view, SEA);
  ctx.closePath();
  ctx.fill();

  ctx.strokeStyle = '#1f4e79';
  ctx.lineWidth = 2;
  for (const river of RIVERS) {
    ctx.beginPath();
    tracePath(ctx, view, river.path);
    ctx.stroke();
  }

  ctx.strokeStyle = '#3a4558';
  ctx.lineWidth = view.metresPerPx < 20 ? 4 : 2.5;
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const road of ROADS) {
    ctx.beginPath();
    tracePath(ctx, view, road.path);
    ctx.stroke();
  }

  ctx.fillStyle = 'rgba(200,210,230,0.45)';
  ctx.font = '12px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const place of PLACES) {
    const p = view.project(place);
    if (view.onScreen(p)) ctx.fillText(place.name, p.x, p.y);
  }
  if (view.metresPerPx < 25) {
    ctx.fillStyle = 'rgba(200,210,230,0.3)';
    ctx.font = 'italic 11px system-ui, sans-serif';
    for (const road of ROADS) {
      const mid = road.path[Math.floor(road.path.length / 2)];
      if (!mid) continue;
      const p = view.project({ lat: mid[0], lng: mid[1] });
      if (view.onScreen(p)) ctx.fillText(road.name, p.x, p.y - 6);
    }
  }
  ctx.textAlign = 'start';
}

/** A single marker with an outline: a circle, or with `vehicleType` that vehicle's shape (as on the ops map). */
export function drawPin(ctx: CanvasRenderingContext2D, p: Point, color: string, radius: number, vehicleType?: VehicleType): void {
  ctx.fillStyle = color;
  ctx.beginPath();
  if (vehicleType === undefined) ctx.arc(p.x, p.y, radius, 0, Math.PI * 2);
  else traceVehicle(ctx, p, radius, vehicleType);
  ctx.fill();
  ctx.strokeStyle = '#0b0f16';
  ctx.lineWidth = 1.5;
  ctx.stroke();
}

function drawLabel(ctx: CanvasRenderingContext2D, p: Point, text: string, color: string): void {
  ctx.font = '600 12px system-ui, sans-serif';
  const w = ctx.measureText(text).width + 10;
  ctx.fillStyle = 'rgba(11,15,22,0.85)';
  ctx.fillRect(p.x + 10, p.y - 22, w, 18);
  ctx.fillStyle = color;
  ctx.fillText(text, p.x + 15, p.y - 9);
}

export function drawFrame(ctx: CanvasRenderingContext2D, view: MapView, model: OpsModel, now: number, selectedRideId: string | undefined): FrameResult {
  drawBaseMap(ctx, view);
  const rides = new Map<string, DrawnRide>();

  // Labels are drawn last, over everything: requests' (the ask and the bids) above rides'.
  const labels: { at: Point; text: string; color: string }[] = [];
  const rideLabels: typeof labels = [];

  // Rides: driver -> pickup (dashed until arrived), pickup -> dropoff (solid).
  for (const ride of model.rides) {
    const pickup = view.project(ride.pickup);
    const dropoff = view.project(ride.dropoff);
    const driverAt = model.driverPositionForRide(ride, now);
    const driver = driverAt ? view.project(driverAt) : undefined;
    const points = ride.status === 'in_progress' ? [driver ?? pickup, dropoff] : driver ? [driver, pickup, dropoff] : [pickup, dropoff];
    rides.set(ride.rideId, { rideId: ride.rideId, kind: 'ride', pickup, points });
    const selected = ride.rideId === selectedRideId;
    ctx.lineWidth = selected ? 4 : 2.5;
    if (driver && ride.status !== 'in_progress') {
      ctx.setLineDash([6, 5]);
      ctx.strokeStyle = selected ? '#ffffff' : 'rgba(74,163,255,0.9)';
      ctx.beginPath();
      ctx.moveTo(driver.x, driver.y);
      ctx.lineTo(pickup.x, pickup.y);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.strokeStyle = selected ? '#ffffff' : 'rgba(74,163,255,0.9)';
    ctx.beginPath();
    const from = ride.status === 'in_progress' && driver ? driver : pickup;
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(dropoff.x, dropoff.y);
    ctx.stroke();
    if (ride.status !== 'in_progress') drawPin(ctx, pickup, '#4aa3ff', 5);
    drawPin(ctx, dropoff, DROPOFF_COLOR, 5);
    // Ride labels only up close or when selected: a busy city would be all labels otherwise.
    if (selected || view.metresPerPx < 6) rideLabels.push({ at: pickup, text: `${ride.status.replace('_', ' ')} · ${formatMoney(ride.agreedFare, ride.currency)}`, color: '#9ccaff' });
  }

  // Requests over rides: pickup pin, a faint line to the dropoff, the ask and the bids.
  for (const req of model.requests) {
    const pickup = view.project(req.pickup);
    const dropoff = view.project(req.dropoff);
    rides.set(req.rideId, { rideId: req.rideId, kind: 'request', pickup, points: [pickup, dropoff] });
    if (!view.onScreen(pickup, 200) && !view.onScreen(dropoff, 200)) continue;
    const selected = req.rideId === selectedRideId;
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = selected ? '#ffffff' : 'rgba(255,92,138,0.5)';
    ctx.lineWidth = selected ? 2.5 : 1.5;
    ctx.beginPath();
    ctx.moveTo(pickup.x, pickup.y);
    ctx.lineTo(dropoff.x, dropoff.y);
    ctx.stroke();
    ctx.setLineDash([]);
    // A pulse so a new request catches the eye.
    const pulse = 8 + 4 * Math.abs(Math.sin(now / 300));
    ctx.strokeStyle = 'rgba(255,92,138,0.6)';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(pickup.x, pickup.y, pulse, 0, Math.PI * 2);
    ctx.stroke();
    drawPin(ctx, pickup, REQUEST_COLOR, 6);
    drawPin(ctx, dropoff, DROPOFF_COLOR, 3.5);
    const bids = req.openBids === 0 ? 'no bids yet' : `${req.openBids} bid${req.openBids === 1 ? '' : 's'} · best ${formatMoney(req.bestBid ?? 0, req.currency)}`;
    labels.push({ at: pickup, text: `${formatMoney(req.fare, req.currency)} · ${bids}`, color: REQUEST_COLOR });
  }

  // Drivers last, on top: one batched path per status (cheap with 500+ drivers), a shape per type.
  const radius = view.metresPerPx < 10 ? 5 : view.metresPerPx < 40 ? 4 : 3;
  for (const status of ['idle', 'offered', 'on_ride'] as const) {
    ctx.fillStyle = DRIVER_COLORS[status];
    ctx.beginPath();
    for (const track of model.drivers.values()) {
      if (track.status !== status) continue;
      const p = view.project(model.positionOf(track, now));
      if (!view.onScreen(p)) continue;
      traceVehicle(ctx, p, radius, track.vehicleType);
    }
    ctx.fill();
  }
  for (const label of [...rideLabels, ...labels]) drawLabel(ctx, label.at, label.text, label.color);
  return { rides };
}

/** The ride (or request) drawn nearest to a click, within `tolerancePx`. */
export function hitTestRide(frame: FrameResult, at: Point, tolerancePx = 10): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const drawn of frame.rides.values()) {
    let d = Math.hypot(at.x - drawn.pickup.x, at.y - drawn.pickup.y) - 4; // pins are easier to hit
    for (let i = 1; i < drawn.points.length; i += 1) {
      d = Math.min(d, distanceToSegment(at, drawn.points[i - 1] as Point, drawn.points[i] as Point));
    }
    if (d <= tolerancePx && (!best || d < best.d)) best = { id: drawn.rideId, d };
  }
  return best?.id;
}
