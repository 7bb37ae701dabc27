import { mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '@drivrr/shared';
import { hydrateSymlinks } from '../src/platform/embedded-postgres.js';
import { loadOrCreateKeys } from '../src/platform/keys.js';
import { appConstants, lanAddress } from '../src/platform/lan.js';
import { findFreePort, isPortFree } from '../src/platform/ports.js';
import { CliError } from '../src/output.js';

const iface = (address: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4') =>
  ({ address, internal, family, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` }) as os.NetworkInterfaceInfo;

describe('LAN address', () => {
  it('picks the first non-internal IPv4, preferring a real interface over a container bridge', () => {
    expect(
      lanAddress({ lo: [iface('127.0.0.1', true)], docker0: [iface('172.17.0.1')], wlan0: [iface('fe80::1', false, 'IPv6'), iface('192.168.1.23')] }),
    ).toEqual({ address: '192.168.1.23', interface: 'wlan0' });
  });

  it('falls back to a bridge when that is all there is, and to nothing with only loopback', () => {
    expect(lanAddress({ lo: [iface('127.0.0.1', true)], docker0: [iface('172.17.0.1')] })).toEqual({ address: '172.17.0.1', interface: 'docker0' });
    expect(lanAddress({ lo: [iface('127.0.0.1', true), iface('::1', true, 'IPv6')] })).toBeUndefined();
  });

  it('writes the Dart constants the Flutter apps expect', () => {
    expect(appConstants('192.168.1.23', 3000, 8081)).toEqual({
      baseUrl: 'http://192.168.1.23:3000/api',
      socketUrl: 'ws://192.168.1.23:8081/ws',
      dart: ["static const String baseUrl = 'http://192.168.1.23:3000/api';", "static const String socketUrl = 'ws://192.168.1.23:8081/ws';"],
    });
  });
});

describe('signing keys of a local stack', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-keys-'));
  });
  afterAll(async () => rm(home, { recursive: true, force: true }));

  it('generates a pair on first start, readable by the owner only, and reuses it after', async () => {
    const first = await loadOrCreateKeys(home, {});
    expect(first.source).toBe('generated');
    expect(first.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect((await stat(path.join(home, 'keys', 'jwt-private.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(home, 'keys'))).mode & 0o777).toBe(0o700);
    const second = await loadOrCreateKeys(home, {});
    expect(second).toMatchObject({ source: 'file', privateKeyPem: first.privateKeyPem, publicKeyPem: first.publicKeyPem });
  });

  it('uses keys from the environment when both are given, and refuses only one', async () => {
    const keys = generateSigningKeys();
    expect(await loadOrCreateKeys(home, { JWT_PRIVATE_KEY: keys.privateKeyPem, JWT_PUBLIC_KEY: keys.publicKeyPem })).toMatchObject({ source: 'env', publicKeyPem: keys.publicKeyPem.trim() });
    await expect(loadOrCreateKeys(home, { JWT_PRIVATE_KEY: keys.privateKeyPem })).rejects.toThrow(CliError);
    await expect(loadOrCreateKeys(home, { JWT_PUBLIC_KEY: keys.publicKeyPem })).rejects.toThrow(/JWT_PRIVATE_KEY is unset/);
  });
});

describe('embedded PostgreSQL libraries', () => {
  it('restores the shared-library links an install without scripts leaves out, and only those', async () => {
    const pkg = await mkdtemp(path.join(os.tmpdir(), 'drivrr-native-'));
    try {
      const native = path.join(pkg, 'native');
      await mkdir(path.join(native, 'lib'), { recursive: true });
      await writeFile(path.join(native, 'lib', 'libpq.so.5.18'), 'lib');
      await writeFile(
        path.join(native, 'pg-symlinks.json'),
        JSON.stringify([
          { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
          { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
          { source: 'native/lib/libpq.so.5.18', target: '../../escape' },
        ]),
      );
      expect(await hydrateSymlinks(native)).toBe(2);
      expect(await readlink(path.join(native, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
      expect(await readFile(path.join(native, 'lib', 'libpq.so'), 'utf8')).toBe('lib');
      expect(await hydrateSymlinks(native)).toBe(0);
    } finally {
      await rm(pkg, { recursive: true, force: true });
    }
  });
});

describe('ports', () => {
  it('knows a taken port from a free one', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await isPortFree(port)).toBe(true);
  });

  it('finds a free port for the database below 32768 and never 5432', async () => {
    for (let i = 0; i < 20; i += 1) {
      const port = await findFreePort(5430, 5434);
      expect(port).not.toBe(5432);
      expect(port).toBeGreaterThanOrEqual(5430);
      expect(port).toBeLessThanOrEqual(5434);
    }
    expect(await findFreePort()).toBeLessThan(32768);
  });
});
