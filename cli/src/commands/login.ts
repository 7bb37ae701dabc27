/** `drivrr login PHONE --role R`: a real OTP login from the command line; prints the token pair. */
import { Option, type Command } from 'commander';
import { OtpRole } from '@drivrr/shared/protocol';
import { authClient } from '../accounts/auth-client.js';
import { loginWithOtp } from '../accounts/login.js';
import { phoneArgument } from '../accounts/outbox.js';
import { color, info, printJson, printLine } from '../output.js';
import { parseUrl } from '../platform/options.js';
import { resolveEndpoints } from '../stack-state.js';

interface LoginFlags {
  role: OtpRole;
  json?: boolean;
  code?: string;
  authUrl?: string;
  databaseUrl?: string;
}

export function register(program: Command): void {
  program
    .command('login')
    .description('Log in with a phone through the real OTP flow and print an access/refresh token pair')
    .argument('<phone>', 'E.164 phone (or a local number); test phones (+92399... under "drivrr up") need no SMS')
    .addOption(new Option('-r, --role <role>', 'the account to log in to').choices(OtpRole.options).makeOptionMandatory())
    .option('--json', 'print the whole verify answer as JSON: {accessToken, refreshToken, expiresInS, user, isNewUser}')
    .option('--code <code>', 'use this code instead of reading it (a test phone configured with another code)')
    .option('--auth-url <url>', 'auth service base URL (default: $DRIVRR_AUTH_URL, the running stack, or http://127.0.0.1:3000)', parseUrl)
    .option('--database-url <url>', 'database with the dev outbox (default: $DATABASE_URL or the running stack)')
    .addHelpText(
      'after',
      `
The code comes from: --code, else the test phone's fixed code (000000, when the send answered
resendAfterS 0), else the dev SMS outbox in the stack's database.

Output (stdout), ready for eval:
  DRIVRR_ACCESS_TOKEN=eyJ...
  DRIVRR_REFRESH_TOKEN=...
  DRIVRR_USER_ID=...

Examples:
  $ eval "$(npx drivrr login +923991234567 --role driver)"
  $ curl -H "Authorization: Bearer $DRIVRR_ACCESS_TOKEN" http://127.0.0.1:3000/api/users/me
  $ npx drivrr login 03001234567 --role customer --json | jq -r .accessToken`,
    )
    .action(async (phoneInput: string, flags: LoginFlags) => {
      const phone = phoneArgument(phoneInput);
      const endpoints = await resolveEndpoints({ authUrl: flags.authUrl, databaseUrl: flags.databaseUrl });
      const login = await loginWithOtp(authClient(endpoints.authUrl), { phone, role: flags.role, code: flags.code, databaseUrl: endpoints.databaseUrl });
      info(color.green(`logged in as ${login.user.role} ${login.user.id}${login.isNewUser ? ' (new account)' : ''}; code from ${login.codeSource}`));
      if (flags.json) {
        const { codeSource: _source, ...answer } = login;
        printJson(answer);
        return;
      }
      printLine(`DRIVRR_ACCESS_TOKEN=${login.accessToken}`);
      printLine(`DRIVRR_REFRESH_TOKEN=${login.refreshToken}`);
      printLine(`DRIVRR_USER_ID=${login.user.id}`);
    });
}
