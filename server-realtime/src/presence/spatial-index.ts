/**
 * An in-memory index of moving points (online drivers) with nearest-N and within-radius queries.
 *
 * Why a uniform lat/lng grid and not a library tree (rbush) or H3 cells: drivers move every few
 * seconds, so updates dominate queries. A grid update is O(1) (usually the point stays in its cell
 * and only its coordinates change); an R-tree pays a remove + re-insert with rebalancing on every
 * fix, and H3 would add a cell computation per fix for the same bucket idea. A query scans square
 * rings of cells around the point and stops as soon as no unseen cell can hold anything nearer
 * than the k-th candidate, so its cost follows local density, not fleet size. Distances are
 * great-circle (haversine), the same function the brute-force reference in the tests uses.
 * Not handled: the antimeridian (cells do not wrap at ±180° longitude) — no city we serve sits on it.
 */
import { distanceM } from '@drivrr/shared/geo';
import type { LatLng } from '@drivrr/shared/protocol';

/** 2πR/360 with R = 6,371 km (as distanceM uses), less 1 % so the ring bound stays a true lower bound. */
const EARTH_METRES_PER_DEG_LAT = 110_000;
const LNG_CELLS_PER_ROW_FACTOR = 360;

export interface IndexedPoint<T> {
  id: string;
  lat: number;
  lng: number;
  value: T;
}

export interface Neighbour<T> {
  point: IndexedPoint<T>;
  distanceM: number;
}

interface Entry<T> extends IndexedPoint<T> {
  cell: number;
}

export class SpatialGrid<T> {
  private readonly cells = new Map<number, Set<Entry<T>>>();
  private readonly entries = new Map<string, Entry<T>>();
  private readonly cellDeg: number;
  private readonly cellsPerRow: number;

  /** @param cellDeg cell size in degrees; 0.01° ≈ 1.1 km, about the radius of a first ride offer. */
  constructor(cellDeg = 0.01) {
    this.cellDeg = cellDeg;
    this.cellsPerRow = Math.ceil(LNG_CELLS_PER_ROW_FACTOR / cellDeg) + 1;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): IndexedPoint<T> | undefined {
    return this.entries.get(id);
  }

  values(): IterableIterator<IndexedPoint<T>> {
    return this.entries.values();
  }

  /** Inserts or moves a point. */
  set(id: string, lat: number, lng: number, value: T): void {
    const existing = this.entries.get(id);
    if (existing) {
      existing.value = value;
      this.relocate(existing, lat, lng);
      return;
    }
    const entry: Entry<T> = { id, lat, lng, value, cell: this.cellOf(lat, lng) };
    this.entries.set(id, entry);
    this.addToCell(entry);
  }

  /** Moves a point that is in the index (one lookup: this runs for every fix); undefined when it is not. */
  move(id: string, lat: number, lng: number): IndexedPoint<T> | undefined {
    const entry = this.entries.get(id);
    if (entry) this.relocate(entry, lat, lng);
    return entry;
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.removeFromCell(entry);
    return true;
  }

  /**
   * Points within `radiusM` of `point` that pass `accept`, nearest first, at most `limit`.
   * Keeps a sorted list of the best `limit` so far (no allocation for points that cannot make it)
   * and stops after the ring whose lower bound reaches the k-th best distance.
   */
  nearest(point: LatLng, radiusM: number, limit: number, accept?: (p: IndexedPoint<T>) => boolean): Neighbour<T>[] {
    const best: Neighbour<T>[] = [];
    if (limit <= 0 || radiusM < 0 || this.entries.size === 0) return best;
    const kthBest = () => (best.length === limit ? (best[limit - 1] as Neighbour<T>).distanceM : Infinity);
    this.scan(
      point,
      radiusM,
      (entry, d) => {
        if (d >= kthBest()) return;
        if (accept !== undefined && !accept(entry)) return;
        let i = best.length === limit ? limit - 1 : best.length;
        while (i > 0 && (best[i - 1] as Neighbour<T>).distanceM > d) {
          best[i] = best[i - 1] as Neighbour<T>;
          i--;
        }
        best[i] = { point: entry, distanceM: d };
      },
      (boundM) => kthBest() <= boundM,
    );
    return best;
  }

  /** Every point within `radiusM` of `point`, nearest first. */
  within(point: LatLng, radiusM: number, accept?: (p: IndexedPoint<T>) => boolean): Neighbour<T>[] {
    const found: Neighbour<T>[] = [];
    this.scan(point, radiusM, (entry, d) => {
      if (!accept || accept(entry)) found.push({ point: entry, distanceM: d });
    });
    return found.sort(byDistance);
  }

  private relocate(entry: Entry<T>, lat: number, lng: number): void {
    entry.lat = lat;
    entry.lng = lng;
    const cell = this.cellOf(lat, lng);
    if (entry.cell !== cell) {
      this.removeFromCell(entry);
      entry.cell = cell;
      this.addToCell(entry);
    }
  }

  /**
   * Visits cells in square rings around `point`. After ring r, every cell not yet visited is at
   * least r whole cells away in latitude or longitude, i.e. at least r × (smallest cell side) metres;
   * the scan ends once that bound exceeds the radius, or earlier when `doneAt(bound)` says nothing
   * that far away can matter any more (nearest-k: the k-th best is already closer).
   */
  private scan(point: LatLng, radiusM: number, visit: (entry: Entry<T>, distanceM: number) => void, doneAt?: (boundM: number) => boolean): void {
    const row0 = Math.floor((point.lat + 90) / this.cellDeg);
    const col0 = Math.floor((point.lng + 180) / this.cellDeg);
    const cellSideM = this.smallestCellSideM(point.lat, radiusM);
    const maxRing = Math.ceil(radiusM / cellSideM) + 1;
    const maxRow = Math.floor(180 / this.cellDeg);
    for (let ring = 0; ring <= maxRing; ring++) {
      for (let row = row0 - ring; row <= row0 + ring; row++) {
        if (row < 0 || row > maxRow) continue;
        const edgeRow = row === row0 - ring || row === row0 + ring;
        const step = edgeRow || ring === 0 ? 1 : 2 * ring;
        for (let col = col0 - ring; col <= col0 + ring; col += step) {
          if (col < 0 || col >= this.cellsPerRow) continue;
          const bucket = this.cells.get(row * this.cellsPerRow + col);
          if (!bucket) continue;
          for (const entry of bucket) {
            const d = distanceM(point, entry);
            if (d <= radiusM) visit(entry, d);
          }
        }
      }
      const boundM = ring * cellSideM;
      if (boundM > radiusM || doneAt?.(boundM)) return;
    }
  }

  /** The shortest cell side (metres) anywhere the query can reach: longitude shrinks with cos(lat). */
  private smallestCellSideM(lat: number, radiusM: number): number {
    const reachDeg = radiusM / EARTH_METRES_PER_DEG_LAT + this.cellDeg;
    const worstLat = Math.min(89.9, Math.abs(lat) + reachDeg);
    const cos = Math.max(0.001, Math.cos((worstLat * Math.PI) / 180));
    return this.cellDeg * EARTH_METRES_PER_DEG_LAT * Math.min(1, cos);
  }

  private cellOf(lat: number, lng: number): number {
    const row = Math.floor((lat + 90) / this.cellDeg);
    const col = Math.floor((lng + 180) / this.cellDeg);
    return row * this.cellsPerRow + col;
  }

  private addToCell(entry: Entry<T>): void {
    let bucket = this.cells.get(entry.cell);
    if (!bucket) {
      bucket = new Set();
      this.cells.set(entry.cell, bucket);
    }
    bucket.add(entry);
  }

  private removeFromCell(entry: Entry<T>): void {
    const bucket = this.cells.get(entry.cell);
    if (!bucket) return;
    bucket.delete(entry);
    if (bucket.size === 0) this.cells.delete(entry.cell);
  }
}

function byDistance<T>(a: Neighbour<T>, b: Neighbour<T>): number {
  return a.distanceM - b.distanceM;
}
