/**
 * The names of the protocol's schemas, for the machine-readable documents (OpenAPI, AsyncAPI):
 * every object or enum schema exported by `@drivrr/shared/protocol` is named after its export, so
 * a generated client gets `RideView`, not `InlineObject17`. Nothing is named by hand: a schema
 * added to the protocol gets its name from its export (less a `Schema` suffix: `ErrorBodySchema`
 * is `ErrorBody`). Where one schema has two exports, the alias below gives way to the original.
 */
import { z } from 'zod';
import * as protocol from '../protocol.js';

/** Exports that are another export under a second name (`LogoutBody = RefreshBody`). */
const ALIASES = new Set(['LogoutBody', 'VehicleResponse']);

let names: ReadonlyMap<z.ZodType, string> | undefined;

export function protocolSchemaNames(): ReadonlyMap<z.ZodType, string> {
  if (names) return names;
  const found = new Map<z.ZodType, string>();
  for (const [exportName, value] of Object.entries(protocol)) {
    if (!(value instanceof z.ZodObject || value instanceof z.ZodEnum)) continue;
    if (!/^[A-Z]/.test(exportName) || ALIASES.has(exportName)) continue;
    found.set(value, exportName.replace(/Schema$/, ''));
  }
  names = found;
  return names;
}
