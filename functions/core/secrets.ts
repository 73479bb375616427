import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Where secret values come from: Secrets Manager in AWS, a local file under `.local/` otherwise. */
export interface SecretSource {
  get(id: string): Promise<string>;
}

export class SecretsManagerSource implements SecretSource {
  private readonly client = new SecretsManagerClient({});
  async get(arn: string): Promise<string> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
    return out.SecretString;
  }
}

/** Development secrets written by `npm start` on first run (`.local/secrets.json`). */
export class EnvSecretSource implements SecretSource {
  constructor(private readonly values: Readonly<Record<string, string | undefined>>) {}
  async get(id: string): Promise<string> {
    const v = this.values[id];
    if (v === undefined) throw new Error(`secret ${id} is not set`);
    return v;
  }
}

/** Caches each secret for the life of the container (a Lambda cold start reads each once). */
export function cached(source: SecretSource): SecretSource {
  const values = new Map<string, Promise<string>>();
  return {
    get(id) {
      let v = values.get(id);
      if (!v) {
        v = source.get(id);
        v.catch(() => values.delete(id));
        values.set(id, v);
      }
      return v;
    },
  };
}
