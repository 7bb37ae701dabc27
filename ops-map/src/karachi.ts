/**
 * A simplified vector outline of central Karachi, bundled so the page needs no map tiles (the
 * machines it runs on have no internet). Hand-simplified from public knowledge of the city:
 * shapes are approximate (a few hundred metres), good for orientation, not for navigation.
 * Coordinates are [lat, lng] pairs.
 */
export type Path = readonly (readonly [number, number])[];

export interface NamedPath {
  name: string;
  path: Path;
}

export const KARACHI_CENTER = { lat: 24.8607, lng: 67.0311 } as const;

/** Sea and harbour, as a polygon closed along the south edge of the drawn area. */
export const SEA: Path = [
  [24.905, 66.8],
  [24.878, 66.85],
  [24.845, 66.9],
  [24.822, 66.945],
  [24.803, 66.968],
  [24.795, 66.975],
  [24.81, 66.985],
  [24.825, 66.99],
  [24.832, 67.004],
  [24.826, 67.016],
  [24.818, 67.022],
  [24.8, 67.028],
  [24.787, 67.042],
  [24.783, 67.06],
  [24.785, 67.08],
  [24.79, 67.097],
  [24.8, 67.11],
  [24.812, 67.125],
  [24.8, 67.14],
  [24.79, 67.17],
  [24.78, 67.21],
  [24.77, 67.26],
  [24.7, 67.26],
  [24.7, 66.8],
];

/** Seasonal rivers: drawn as thin water lines. */
export const RIVERS: readonly NamedPath[] = [
  {
    name: 'Lyari River',
    path: [
      [24.985, 67.1],
      [24.955, 67.075],
      [24.93, 67.045],
      [24.905, 67.025],
      [24.885, 67.005],
      [24.865, 66.99],
      [24.845, 66.995],
      [24.832, 67.004],
    ],
  },
  {
    name: 'Malir River',
    path: [
      [24.935, 67.245],
      [24.905, 67.2],
      [24.875, 67.17],
      [24.85, 67.145],
      [24.825, 67.13],
      [24.812, 67.125],
    ],
  },
];

/** Arterial roads. */
export const ROADS: readonly NamedPath[] = [
  {
    name: 'Shahrah-e-Faisal',
    path: [
      [24.8555, 67.0255],
      [24.8615, 67.05],
      [24.8665, 67.07],
      [24.8755, 67.092],
      [24.8855, 67.12],
      [24.8945, 67.157],
      [24.9005, 67.19],
    ],
  },
  { name: 'M.A. Jinnah Road', path: [[24.8515, 67.0], [24.861, 67.016], [24.8725, 67.031], [24.877, 67.041]] },
  { name: 'I.I. Chundrigar Road', path: [[24.8515, 67.0], [24.848, 67.012], [24.8465, 67.022]] },
  { name: 'University Road', path: [[24.877, 67.041], [24.8905, 67.063], [24.904, 67.08], [24.918, 67.096], [24.93, 67.118], [24.944, 67.146]] },
  { name: 'Shahrah-e-Pakistan', path: [[24.877, 67.041], [24.9, 67.05], [24.925, 67.06], [24.952, 67.079]] },
  { name: 'Rashid Minhas Road', path: [[24.8855, 67.12], [24.905, 67.105], [24.925, 67.09], [24.945, 67.078]] },
  { name: 'Korangi Road', path: [[24.8465, 67.042], [24.838, 67.065], [24.833, 67.09], [24.83, 67.12]] },
  { name: 'Clifton Road', path: [[24.8555, 67.0255], [24.842, 67.03], [24.8325, 67.0335], [24.82, 67.03]] },
  { name: 'Khayaban-e-Ittehad', path: [[24.8325, 67.0335], [24.82, 67.05], [24.81, 67.065], [24.8, 67.08]] },
  { name: 'Mauripur Road', path: [[24.8515, 67.0], [24.858, 66.98], [24.873, 66.955], [24.885, 66.93]] },
  { name: 'Lyari Expressway', path: [[24.852, 66.99], [24.87, 66.997], [24.888, 67.009], [24.908, 67.028], [24.932, 67.048], [24.955, 67.078]] },
  { name: 'Super Highway', path: [[24.952, 67.079], [24.968, 67.1], [24.99, 67.13]] },
  { name: 'National Highway', path: [[24.8855, 67.12], [24.878, 67.16], [24.87, 67.2], [24.862, 67.24]] },
  { name: 'Shahrah-e-Quaideen', path: [[24.8615, 67.05], [24.875, 67.058], [24.889, 67.063]] },
  { name: 'Abul Hassan Isphahani Road', path: [[24.918, 67.096], [24.93, 67.08], [24.94, 67.06]] },
  { name: 'Nazimabad Road', path: [[24.877, 67.041], [24.895, 67.035], [24.915, 67.033], [24.94, 67.035]] },
];

/** Neighbourhood labels. */
export const PLACES: readonly { name: string; lat: number; lng: number }[] = [
  { name: 'Saddar', lat: 24.8575, lng: 67.0295 },
  { name: 'Kemari', lat: 24.838, lng: 66.982 },
  { name: 'Lyari', lat: 24.866, lng: 67.005 },
  { name: 'Clifton', lat: 24.82, lng: 67.035 },
  { name: 'DHA', lat: 24.805, lng: 67.07 },
  { name: 'PECHS', lat: 24.868, lng: 67.063 },
  { name: 'Gulshan-e-Iqbal', lat: 24.922, lng: 67.095 },
  { name: 'Gulistan-e-Jauhar', lat: 24.915, lng: 67.135 },
  { name: 'Nazimabad', lat: 24.912, lng: 67.03 },
  { name: 'North Karachi', lat: 24.975, lng: 67.06 },
  { name: 'Korangi', lat: 24.84, lng: 67.125 },
  { name: 'Malir', lat: 24.893, lng: 67.205 },
  { name: 'Jinnah Intl Airport', lat: 24.9, lng: 67.165 },
  { name: 'SITE', lat: 24.895, lng: 66.995 },
];

/** The area the page frames on first load (the simulators' default city area lies inside it). */
export const INITIAL_BOUNDS = [
  { lat: 24.8, lng: 66.97 },
  { lat: 24.95, lng: 67.15 },
] as const;
