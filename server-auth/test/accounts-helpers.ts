/** Small HTTP helpers of the accounts tests (real HTTP against the in-process stack). */
import type { TestStack } from '../../test-support/stack.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields of JSON answers
}

export function api(stack: TestStack) {
  const base = stack.auth!.url;
  async function call(method: string, path: string, options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await res.text();
    let body: unknown = undefined;
    if (text.length > 0) body = JSON.parse(text);
    return { status: res.status, headers: res.headers, body };
  }
  return {
    call,
    post: (path: string, body?: unknown, token?: string) => call('POST', path, { body, token }),
    get: (path: string, token?: string) => call('GET', path, { token }),
    patch: (path: string, body: unknown, token?: string) => call('PATCH', path, { body, token }),
    put: (path: string, body: unknown, token?: string) => call('PUT', path, { body, token }),
    del: (path: string, token?: string) => call('DELETE', path, { token }),
  };
}

/** The newest code the dev outbox holds for a phone. */
export async function outboxCode(stack: TestStack, phone: string): Promise<string> {
  const { rows } = await stack.query<{ code: string }>(`SELECT code FROM dev_sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT 1`, [phone]);
  if (!rows[0]) throw new Error(`no code in the outbox for ${phone}`);
  return rows[0].code;
}

/** A 6-digit code different from `code`. */
export const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
