/** `drivrr lan`: this machine's LAN address and the Dart constants that point the apps at it. */
import type { Command } from 'commander';
import { CliError, info, printJson, printLine } from '../output.js';
import { appConstants, lanAddress } from '../platform/lan.js';
import { parsePort } from '../platform/options.js';
import { readStackState } from '../stack-state.js';

const portOf = (url: string | undefined): number | undefined => (url ? Number(new URL(url).port) || undefined : undefined);

export function register(program: Command): void {
  program
    .command('lan')
    .description('Show the LAN IP and the app_constants.dart lines for the Flutter apps')
    .option('--auth-port <port>', 'auth port to use (default: the running stack\'s, else 3000)', parsePort)
    .option('--realtime-port <port>', 'realtime port to use (default: the running stack\'s, else 8081)', parsePort)
    .option('--json', 'print {address, interface, baseUrl, socketUrl, dart} as JSON')
    .addHelpText(
      'after',
      `
Phones must reach this machine over the network: use its LAN address, not localhost (an Android
emulator may use 10.0.2.2 instead). Paste the two lines into lib/core/constants/app_constants.dart.

Examples:
  $ npx drivrr lan
  $ npx drivrr lan --json | jq -r .baseUrl

Exit codes: 0 ok, 1 no LAN address (only loopback), 2 bad usage.`,
    )
    .action(async (flags: { authPort?: number; realtimePort?: number; json?: boolean }) => {
      const state = await readStackState();
      const authPort = flags.authPort ?? portOf(state?.authUrl) ?? 3000;
      const realtimePort = flags.realtimePort ?? portOf(state?.realtimeUrl) ?? 8081;
      const lan = lanAddress();
      if (!lan) {
        throw new CliError('this machine has no LAN IPv4 address (only loopback): connect it to the network the phones are on; an Android emulator can use 10.0.2.2');
      }
      const constants = appConstants(lan.address, authPort, realtimePort);
      if (flags.json) {
        printJson({ address: lan.address, interface: lan.interface, ...constants });
        return;
      }
      info(`LAN IP: ${lan.address} (${lan.interface})`);
      info('Paste into lib/core/constants/app_constants.dart:');
      for (const line of constants.dart) printLine(line);
    });
}
