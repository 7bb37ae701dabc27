/**
 * Our patch to ws (patches/ws+8.23.0.patch, patches/README.md) is in the installed copy, and a
 * socket that goes quiet after a message holds no array of its own between messages (the array that
 * was promoted and kept every next message's buffers alive until a major GC).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';

const require = createRequire(import.meta.url);

describe('the patched ws receiver', () => {
  it('is installed (npm install applies patches/ with patch-package)', () => {
    expect(readFileSync(join(dirname(require.resolve('ws')), 'lib/receiver.js'), 'utf8')).toContain('EMPTY_FRAGMENTS');
  });

  it('holds one shared empty fragment list between messages, on every socket, and still delivers each message whole', async () => {
    // Arrange: a server and two clients on real sockets.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const received: string[] = [];
    const receivers: { _fragments: unknown[] }[] = [];
    server.on('connection', (socket) => {
      receivers.push((socket as unknown as { _receiver: { _fragments: unknown[] } })._receiver);
      socket.on('message', (data) => received.push(String(data)));
    });
    const clients = [new WebSocket(`ws://127.0.0.1:${port}`), new WebSocket(`ws://127.0.0.1:${port}`)];
    await Promise.all(clients.map((client) => once(client, 'open')));

    // Act: each client sends two messages, the second in two fragments.
    for (const [i, client] of clients.entries()) {
      client.send(`one-${i}`);
      client.send(`two-${i}-a`, { fin: false });
      client.send(`-b`, { fin: true });
    }
    await expect.poll(() => received.length).toBe(4);

    // Assert: whole messages; both receivers point at the same empty list now.
    expect(received.sort()).toEqual(['one-0', 'one-1', 'two-0-a-b', 'two-1-a-b']);
    expect(receivers).toHaveLength(2);
    expect(receivers[0]!._fragments).toHaveLength(0);
    expect(receivers[0]!._fragments).toBe(receivers[1]!._fragments);

    for (const client of clients) client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
