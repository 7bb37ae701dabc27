/** The DOM around the canvas: counters, lists, the timeline panel and the hidden entity list. */
import type { OpsCounters, OpsRequest, OpsRide, RideDetailView, RideStatus } from '@drivrr/shared/protocol';
import { describeEventData, formatDuration, formatMoney, type OpsModel } from './model';
import type { FrameResult } from './render';

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function setCounter(testId: string, value: number | string, shown: string = String(value)): void {
  const node = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  if (!node) return;
  if (node.dataset.value !== String(value)) node.dataset.value = String(value);
  if (node.textContent !== shown) node.textContent = shown;
}

const STATUS_ORDER: RideStatus[] = ['requested', 'assigned', 'arrived', 'in_progress', 'completed', 'cancelled', 'expired'];

export function renderCounters(counters: OpsCounters): void {
  setCounter('counter-drivers-online', counters.driversOnline);
  setCounter('counter-drivers-idle', counters.driversIdle);
  setCounter('counter-drivers-offered', counters.driversOffered);
  setCounter('counter-drivers-on-ride', counters.driversOnRide);
  setCounter('counter-requests-open', counters.requestsOpen);
  setCounter('counter-median-assign', counters.medianAssignS ?? '', formatDuration(counters.medianAssignS));
  const list = byId('rides-by-status');
  if (list.childElementCount === 0) {
    for (const status of STATUS_ORDER) {
      const box = el('div');
      box.append(el('dt', {}, status.replace('_', ' ')), el('dd', { 'data-testid': `rides-${status}`, 'data-value': '0' }, '0'));
      list.append(box);
    }
  }
  for (const status of STATUS_ORDER) setCounter(`rides-${status}`, counters.ridesByStatus[status] ?? 0);
}

export function renderFreshness(model: OpsModel, now: number): void {
  const node = byId('freshness');
  if (!model.counters || model.lastSnapshotAt === undefined) return;
  const ageS = Math.round((now - model.lastSnapshotAt) / 1000);
  const text = `snapshot #${model.seq}${ageS >= 3 ? ` · ${ageS} s old` : ''} · database read ${new Date(model.counters.countedAt).toLocaleTimeString()}`;
  if (node.textContent !== text) node.textContent = text;
}

const MAX_LISTED = 40;

export function renderLists(model: OpsModel, selected: string | undefined, onPick: (rideId: string) => void): void {
  const requests = byId('request-list');
  requests.replaceChildren(
    ...model.requests.slice(0, MAX_LISTED).map((r: OpsRequest) => {
      const li = el('li', { class: `pick${r.rideId === selected ? ' selected' : ''}`, 'data-ride-id': r.rideId });
      const bids = r.openBids === 0 ? 'no bids yet' : `${r.openBids} bid${r.openBids === 1 ? '' : 's'}, best ${formatMoney(r.bestBid ?? 0, r.currency)}`;
      li.append(el('span', { class: 'fare' }, formatMoney(r.fare, r.currency)), document.createTextNode(` asked · ${r.vehicleType} · ${bids}`));
      li.onclick = () => onPick(r.rideId);
      return li;
    }),
  );
  byId('requests-count').textContent = model.requests.length > MAX_LISTED ? `(${MAX_LISTED} of ${model.requests.length})` : `(${model.requests.length})`;
  const rides = byId('ride-list');
  rides.replaceChildren(
    ...model.rides.slice(0, MAX_LISTED).map((r: OpsRide) => {
      const li = el('li', { class: `pick${r.rideId === selected ? ' selected' : ''}`, 'data-ride-id': r.rideId });
      li.append(el('span', { class: 'status' }, r.status.replace('_', ' ')), document.createTextNode(` · ${r.vehicleType} · ${formatMoney(r.agreedFare, r.currency)} · ride ${r.rideId.slice(0, 8)}`));
      li.onclick = () => onPick(r.rideId);
      return li;
    }),
  );
  byId('rides-count').textContent = model.rides.length > MAX_LISTED ? `(${MAX_LISTED} of ${model.rides.length})` : `(${model.rides.length})`;
}

/**
 * The hidden list of what is drawn: one <li> per driver, request and ride, keyed by id, with
 * data-* attributes (status, fare, bids, where its line is on screen). Only changed attributes
 * are written, so 500 drivers cost little.
 */
export class EntityList {
  private readonly root = byId('entities');
  private readonly items = new Map<string, HTMLLIElement>();

  update(model: OpsModel, frame: FrameResult | undefined): void {
    const wanted = new Map<string, Record<string, string>>();
    // Drivers: their latest reported fix (not the glide), which changes at most once per fix.
    for (const track of model.drivers.values()) {
      wanted.set(`driver:${track.id}`, { kind: 'driver', id: track.id, status: track.status, vehicleType: track.vehicleType, lat: String(track.to.lat), lng: String(track.to.lng) });
    }
    for (const r of model.requests) {
      const drawn = frame?.rides.get(r.rideId);
      wanted.set(`request:${r.rideId}`, {
        kind: 'request',
        id: r.rideId,
        status: 'requested',
        vehicleType: r.vehicleType,
        fare: String(r.fare),
        openBids: String(r.openBids),
        totalBids: String(r.totalBids),
        bestBid: r.bestBid === null ? '' : String(r.bestBid),
        ...(drawn ? { x: String(Math.round(drawn.pickup.x)), y: String(Math.round(drawn.pickup.y)) } : {}),
      });
    }
    for (const r of model.rides) {
      const drawn = frame?.rides.get(r.rideId);
      const attrs: Record<string, string> = { kind: 'ride', id: r.rideId, status: r.status, vehicleType: r.vehicleType, driverId: r.driverId, agreedFare: String(r.agreedFare) };
      if (drawn) {
        // The line as drawn: its vertices, and a point on its last leg to click on.
        const pts = drawn.points;
        const a = pts[pts.length - 2];
        const b = pts[pts.length - 1];
        attrs.linePoints = String(pts.length);
        attrs.line = pts.map((p) => `${Math.round(p.x)},${Math.round(p.y)}`).join(' ');
        if (a && b) {
          attrs.x = String(Math.round((a.x + b.x) / 2));
          attrs.y = String(Math.round((a.y + b.y) / 2));
        }
      }
      wanted.set(`ride:${r.rideId}`, attrs);
    }
    for (const [key, li] of this.items) {
      if (!wanted.has(key)) {
        li.remove();
        this.items.delete(key);
      }
    }
    for (const [key, attrs] of wanted) {
      let li = this.items.get(key);
      if (!li) {
        li = document.createElement('li');
        this.items.set(key, li);
        this.root.append(li);
      }
      for (const [k, v] of Object.entries(attrs)) if (li.dataset[k] !== v) li.dataset[k] = v;
    }
  }
}

function time(iso: string): HTMLTimeElement {
  return el('time', { datetime: iso }, new Date(iso).toLocaleTimeString());
}

export function renderTimeline(ride: RideDetailView): void {
  const panel = byId('timeline');
  panel.hidden = false;
  panel.dataset.rideId = ride.id;
  panel.dataset.status = ride.status;
  panel.dataset.vehicleType = ride.vehicleType;
  byId('timeline-ride').textContent = ride.id.slice(0, 8);
  const fare = ride.agreedFare === null ? `asks ${formatMoney(ride.fare, ride.currency)}` : `agreed ${formatMoney(ride.agreedFare, ride.currency)} (asked ${formatMoney(ride.fare, ride.currency)})`;
  const who = `${ride.customer.name ?? 'customer'}${ride.driver ? ` with ${ride.driver.name ?? 'driver'}${ride.driver.vehicle ? ` (${ride.driver.vehicle.color} ${ride.driver.vehicle.make} ${ride.driver.vehicle.model})` : ''}` : ''}`;
  byId('timeline-summary').textContent = `${ride.status.replace('_', ' ')} · ${ride.vehicleType} · ${fare} · ${ride.paymentMethod} · ${who}`;
  byId('timeline-bids').replaceChildren(
    ...(ride.bids.length === 0
      ? [el('li', {}, 'no bids')]
      : ride.bids.map((b) => {
          const li = el('li', { 'data-testid': 'timeline-bid', 'data-status': b.status });
          li.append(time(b.createdAt), document.createTextNode(`${b.driver.name ?? 'driver'} · ${formatMoney(b.fare, ride.currency)} · ETA ${formatDuration(b.etaS)} · ${b.status}`));
          return li;
        })),
  );
  byId('timeline-events').replaceChildren(
    ...ride.events.map((e) => {
      const li = el('li', { 'data-testid': 'timeline-event', 'data-type': e.type });
      const change = e.fromStatus || e.toStatus ? ` ${e.fromStatus ?? '∅'} → ${e.toStatus ?? '∅'}` : '';
      const detail = describeEventData(e.data, ride.currency);
      li.append(time(e.createdAt), document.createTextNode(`${e.type}${change} · by ${e.actorRole}${detail ? ` · ${detail}` : ''}`));
      return li;
    }),
  );
}

export function hideTimeline(): void {
  const panel = byId('timeline');
  panel.hidden = true;
  delete panel.dataset.rideId;
}

export function setLinkState(state: string, detail?: string): void {
  const node = byId('link');
  node.dataset.state = state;
  node.textContent = state === 'live' ? 'live' : state === 'refused' ? 'signed out' : `${state}…`;
  node.title = detail ?? '';
}

export { byId };
