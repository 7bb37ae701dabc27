/** Where an upgrade request carries its access token. Pure: no I/O, no `ws`. */
import { bearerFromHeader } from '@drivrr/shared';
import { WS_BEARER_PREFIX } from '@drivrr/shared/protocol';

export interface UpgradeRequestLike {
  url?: string | undefined;
  headers: { authorization?: string | undefined; 'sec-websocket-protocol'?: string | undefined };
}

/**
 * The token from `Authorization: Bearer T` (apps), `?token=T` (simple clients), or the subprotocol
 * list `drivrr.v1, bearer.T` (browsers, which cannot set headers), in that order.
 */
export function tokenFromUpgrade(req: UpgradeRequestLike): string | undefined {
  const fromHeader = bearerFromHeader(req.headers.authorization);
  if (fromHeader) return fromHeader;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q !== -1) {
    const fromQuery = new URLSearchParams(url.slice(q + 1)).get('token');
    if (fromQuery) return fromQuery;
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols) {
    for (const p of protocols.split(',')) {
      const trimmed = p.trim();
      if (trimmed.startsWith(WS_BEARER_PREFIX) && trimmed.length > WS_BEARER_PREFIX.length) return trimmed.slice(WS_BEARER_PREFIX.length);
    }
  }
  return undefined;
}
