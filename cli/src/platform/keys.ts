/**
 * The access-token signing keys of a local stack: JWT_PRIVATE_KEY/JWT_PUBLIC_KEY when given,
 * otherwise an ES256 pair generated once into `<home>/keys/` and reused on every start.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSigningKeys } from '@drivrr/shared';
import { CliError } from '../output.js';

export interface StackKeys {
  privateKeyPem: string;
  publicKeyPem: string;
  source: 'env' | 'generated' | 'file';
  dir?: string;
}

export async function loadOrCreateKeys(home: string, env: NodeJS.ProcessEnv = process.env): Promise<StackKeys> {
  const givenPrivate = env.JWT_PRIVATE_KEY?.trim();
  const givenPublic = env.JWT_PUBLIC_KEY?.trim();
  if (givenPrivate && givenPublic) return { privateKeyPem: givenPrivate, publicKeyPem: givenPublic, source: 'env' };
  if (givenPrivate || givenPublic) {
    throw new CliError(`${givenPrivate ? 'JWT_PUBLIC_KEY' : 'JWT_PRIVATE_KEY'} is unset: give both JWT keys, or neither to use the generated pair in ${path.join(home, 'keys')}`);
  }
  const dir = path.join(home, 'keys');
  const privatePath = path.join(dir, 'jwt-private.pem');
  const publicPath = path.join(dir, 'jwt-public.pem');
  try {
    const [privateKeyPem, publicKeyPem] = await Promise.all([readFile(privatePath, 'utf8'), readFile(publicPath, 'utf8')]);
    return { privateKeyPem, publicKeyPem, source: 'file', dir };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const keys = generateSigningKeys();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeFile(privatePath, keys.privateKeyPem, { mode: 0o600 });
  await writeFile(publicPath, keys.publicKeyPem, { mode: 0o644 });
  return { privateKeyPem: keys.privateKeyPem, publicKeyPem: keys.publicKeyPem, source: 'generated', dir };
}
