/**
 * The map's view: a local flat projection (equirectangular around a centre, good to a few metres
 * across a city) and the pan/zoom state. Pure: no DOM, tested in ops-map/test/view.test.ts.
 */
export interface LatLng {
  lat: number;
  lng: number;
}
export interface Point {
  x: number;
  y: number;
}

const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LNG_EQUATOR = 111_320;

export const MIN_M_PER_PX = 0.5;
export const MAX_M_PER_PX = 400;

export class MapView {
  /** Metres per CSS pixel: larger = zoomed out. */
  metresPerPx: number;
  center: LatLng;
  width: number;
  height: number;
  private readonly cosLat0: number;

  constructor(options: { center: LatLng; metresPerPx: number; width: number; height: number }) {
    this.center = { ...options.center };
    this.metresPerPx = clamp(options.metresPerPx, MIN_M_PER_PX, MAX_M_PER_PX);
    this.width = options.width;
    this.height = options.height;
    // The scale of longitude is fixed at the initial centre, so panning never distorts the city.
    this.cosLat0 = Math.cos((options.center.lat * Math.PI) / 180);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
  }

  /** Screen pixel (CSS px, origin top-left) of a coordinate. */
  project(p: LatLng): Point {
    const dxM = (p.lng - this.center.lng) * M_PER_DEG_LNG_EQUATOR * this.cosLat0;
    const dyM = (p.lat - this.center.lat) * M_PER_DEG_LAT;
    return { x: this.width / 2 + dxM / this.metresPerPx, y: this.height / 2 - dyM / this.metresPerPx };
  }

  unproject(pt: Point): LatLng {
    const dxM = (pt.x - this.width / 2) * this.metresPerPx;
    const dyM = (this.height / 2 - pt.y) * this.metresPerPx;
    return { lat: this.center.lat + dyM / M_PER_DEG_LAT, lng: this.center.lng + dxM / (M_PER_DEG_LNG_EQUATOR * this.cosLat0) };
  }

  /** Moves the map with the pointer: a drag of (dx, dy) px moves what is under it by as much. */
  panBy(dx: number, dy: number): void {
    this.center = this.unproject({ x: this.width / 2 - dx, y: this.height / 2 - dy });
  }

  /** Zooms by `factor` (> 1 zooms in) keeping the coordinate under `anchor` where it is. */
  zoomAt(anchor: Point, factor: number): void {
    const before = this.unproject(anchor);
    this.metresPerPx = clamp(this.metresPerPx / factor, MIN_M_PER_PX, MAX_M_PER_PX);
    const after = this.unproject(anchor);
    this.center = { lat: this.center.lat + (before.lat - after.lat), lng: this.center.lng + (before.lng - after.lng) };
  }

  /** Centres and scales so that every point fits with `paddingPx` to spare. */
  fit(points: readonly LatLng[], paddingPx = 40): void {
    if (points.length === 0) return;
    let minLat = Infinity;
    let maxLat = -Infinity;
    let minLng = Infinity;
    let maxLng = -Infinity;
    for (const p of points) {
      minLat = Math.min(minLat, p.lat);
      maxLat = Math.max(maxLat, p.lat);
      minLng = Math.min(minLng, p.lng);
      maxLng = Math.max(maxLng, p.lng);
    }
    this.center = { lat: (minLat + maxLat) / 2, lng: (minLng + maxLng) / 2 };
    const widthM = (maxLng - minLng) * M_PER_DEG_LNG_EQUATOR * this.cosLat0;
    const heightM = (maxLat - minLat) * M_PER_DEG_LAT;
    const usableW = Math.max(1, this.width - 2 * paddingPx);
    const usableH = Math.max(1, this.height - 2 * paddingPx);
    this.metresPerPx = clamp(Math.max(widthM / usableW, heightM / usableH, MIN_M_PER_PX * 4), MIN_M_PER_PX, MAX_M_PER_PX);
  }

  /** True when a screen point is inside the canvas with `margin` px to spare (for culling). */
  onScreen(pt: Point, margin = 20): boolean {
    return pt.x >= -margin && pt.y >= -margin && pt.x <= this.width + margin && pt.y <= this.height + margin;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Distance in px from point p to the segment a-b (hit-testing ride lines). */
export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const abx = b.x - a.x;
  const aby = b.y - a.y;
  const len2 = abx * abx + aby * aby;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * abx + (p.y - a.y) * aby) / len2));
  const x = a.x + t * abx;
  const y = a.y + t * aby;
  return Math.hypot(p.x - x, p.y - y);
}
