/**
 * A few well-known places in Karachi, so scenario scripts and demo trips read like real ones
 * ("Saddar to Clifton") instead of bare coordinates. Coordinates are approximate (street level
 * is not needed: the server only sees points).
 */
import { KARACHI_CENTER, distanceM } from '@drivrr/shared';
import type { LatLng } from '@drivrr/shared/protocol';

export interface NamedPlace extends LatLng {
  name: string;
  /** What the apps would show as the address. */
  address: string;
}

export const KARACHI_PLACES: readonly NamedPlace[] = [
  { name: 'Saddar', address: 'Saddar, Karachi', lat: 24.8553, lng: 67.029 },
  { name: 'Empress Market', address: 'Empress Market, Saddar, Karachi', lat: 24.8597, lng: 67.03 },
  { name: 'Burns Road', address: 'Burns Road, Karachi', lat: 24.857, lng: 67.015 },
  { name: 'Frere Hall', address: 'Frere Hall, Civil Lines, Karachi', lat: 24.8475, lng: 67.033 },
  { name: 'Mazar-e-Quaid', address: 'Mazar-e-Quaid, Jamshed Town, Karachi', lat: 24.8754, lng: 67.0401 },
  { name: 'I.I. Chundrigar Road', address: 'I.I. Chundrigar Road, Karachi', lat: 24.848, lng: 67.005 },
  { name: 'Lyari', address: 'Lyari Town, Karachi', lat: 24.862, lng: 66.995 },
  { name: 'Port Grand', address: 'Port Grand, Native Jetty Bridge, Karachi', lat: 24.844, lng: 66.988 },
  { name: 'Clifton', address: 'Teen Talwar, Clifton, Karachi', lat: 24.8338, lng: 67.033 },
  { name: 'Tariq Road', address: 'Tariq Road, PECHS, Karachi', lat: 24.87, lng: 67.06 },
  { name: 'PECHS', address: 'PECHS Block 6, Karachi', lat: 24.871, lng: 67.065 },
  { name: 'Cantt Station', address: 'Karachi Cantonment Station, Karachi', lat: 24.843, lng: 67.04 },
  { name: 'Dolmen Mall Clifton', address: 'Dolmen Mall, Clifton Block 4, Karachi', lat: 24.8026, lng: 67.0295 },
  { name: 'Sea View', address: 'Sea View, Clifton Beach, Karachi', lat: 24.796, lng: 67.041 },
  { name: 'Gulshan-e-Iqbal', address: 'Maskan Chowrangi, Gulshan-e-Iqbal, Karachi', lat: 24.9265, lng: 67.097 },
];

/** Far from central Karachi (about 150 km): no simulated driver is ever near it. */
export const HYDERABAD: NamedPlace = { name: 'Hyderabad', address: 'Hyderabad, Sindh', lat: 25.396, lng: 68.3578 };

export function findPlace(name: string): NamedPlace | undefined {
  const wanted = name.trim().toLowerCase();
  return [...KARACHI_PLACES, HYDERABAD].find((place) => place.name.toLowerCase() === wanted);
}

export function placeNamed(name: string): NamedPlace {
  const place = findPlace(name);
  if (!place) throw new Error(`unknown place "${name}" (known: ${KARACHI_PLACES.map((p) => p.name).join(', ')})`);
  return place;
}

/** The named places within `radiusM` of `center` (the area a fleet runs in). */
export function placesWithin(center: LatLng = KARACHI_CENTER, radiusM: number): NamedPlace[] {
  return KARACHI_PLACES.filter((place) => distanceM(center, place) <= radiusM);
}
