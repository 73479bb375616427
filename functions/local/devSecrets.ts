import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DevSecrets {
  readonly jwt: string;
  readonly noteKeyring: { readonly current: string; readonly [version: string]: string };
}

/** Development secrets, generated on first run and kept (mode 0600) so restarts keep sessions valid. */
export function loadDevSecrets(file: string): DevSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    jwt: randomBytes(48).toString('base64url'),
    noteKeyring: { current: '1', key_1: randomBytes(32).toString('hex') },
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
