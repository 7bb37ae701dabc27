/** The machine's LAN address and the Flutter `app_constants.dart` lines that point the apps at it. */
import os from 'node:os';

type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** Interfaces that are not a real network a phone could be on (containers, VPN bridges). */
const VIRTUAL = /^(docker|br-|veth|virbr|cni|flannel|kube|lxc|lxd|podman|vmnet|vboxnet|zt|tailscale|utun)/;

export interface LanAddress {
  address: string;
  interface: string;
}

/**
 * The first non-internal IPv4 address, preferring physical-looking interfaces over container
 * bridges. Undefined when the machine has no IPv4 network besides loopback.
 */
export function lanAddress(interfaces: Interfaces = os.networkInterfaces()): LanAddress | undefined {
  const candidates: LanAddress[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv4' && !info.internal) candidates.push({ address: info.address, interface: name });
    }
  }
  return candidates.find((c) => !VIRTUAL.test(c.interface)) ?? candidates[0];
}

export interface AppConstants {
  baseUrl: string;
  socketUrl: string;
  /** The two lines to paste into the Flutter apps' `lib/core/constants/app_constants.dart`. */
  dart: string[];
}

export function appConstants(host: string, authPort: number, realtimePort: number): AppConstants {
  const baseUrl = `http://${host}:${authPort}/api`;
  const socketUrl = `ws://${host}:${realtimePort}/ws`;
  return {
    baseUrl,
    socketUrl,
    dart: [`static const String baseUrl = '${baseUrl}';`, `static const String socketUrl = '${socketUrl}';`],
  };
}
