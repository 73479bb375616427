import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Where secret values come from: Secrets Manager in AWS, a local file under `.local/` otherwise. */
export interface SecretSource {
  get(id: string): Promise<string>;
}

/**
 * Secrets Manager, its client loaded on the first read: a container that is handed its secrets
 * another way, or never needs one, never pays for loading the SDK at start-up.
 */
export class SecretsManagerSource implements SecretSource {
  private client?: Promise<{
    client: SecretsManagerClient;
    Get: typeof import('@aws-sdk/client-secrets-manager').GetSecretValueCommand;
  }>;
  async get(arn: string): Promise<string> {
    this.client ??= import('@aws-sdk/client-secrets-manager').then((m) => ({
      client: new m.SecretsManagerClient({}),
      Get: m.GetSecretValueCommand,
    }));
    const { client, Get } = await this.client;
    const out = await client.send(new Get({ SecretId: arn }));
    if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
    return out.SecretString;
  }
}

/**
 * Secrets from environment variables, read when asked for: local development (`npm start` sets
 * them from `.local/secrets.json`) and tests. Maps a secret id to the variable that holds it.
 */
export class EnvSecretSource implements SecretSource {
  constructor(private readonly variables: Readonly<Record<string, string>>) {}
  async get(id: string): Promise<string> {
    const name = this.variables[id];
    const v = name === undefined ? undefined : process.env[name];
    if (v === undefined) throw new Error(`secret ${id} is not set (${name ?? 'no variable'})`);
    return v;
  }
}

/**
 * Caches each secret: a Lambda cold start reads each once. With `maxAgeMs`, a value older than that
 * is read again on next use, so a rotated database password reaches running containers.
 */
export function cached(source: SecretSource, maxAgeMs = Number.POSITIVE_INFINITY): SecretSource {
  const values = new Map<string, { value: Promise<string>; at: number }>();
  return {
    get(id) {
      const hit = values.get(id);
      if (hit && Date.now() - hit.at < maxAgeMs) return hit.value;
      const value = source.get(id);
      value.catch(() => values.delete(id));
      values.set(id, { value, at: Date.now() });
      return value;
    },
  };
}
