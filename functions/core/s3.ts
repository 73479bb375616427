import type { S3Client } from '@aws-sdk/client-s3';

/** Where exports go: the backup bucket and the KMS key its objects are encrypted with. */
export interface ExportTarget {
  readonly client: S3Client;
  readonly bucket: string;
  /** SSE-KMS key of the bucket (`BACKUP_KEY_ARN`); unset locally, where the server ignores it. */
  readonly keyArn?: string;
}

let target: ExportTarget | undefined;

/**
 * The container's export bucket: `BACKUP_BUCKET` and `BACKUP_KEY_ARN` (set by the CDK). Locally and
 * in tests `S3_ENDPOINT` points the client at an S3-compatible server on loopback (path-style).
 * The S3 client is loaded here, when a bucket is first needed, not when the Lambda starts: loading
 * it doubled the start of every bundle that holds it (`npm run bench` prints the cold starts).
 */
export async function exportTarget(env: NodeJS.ProcessEnv = process.env): Promise<ExportTarget> {
  if (target && env === process.env) return target;
  const bucket = env.BACKUP_BUCKET;
  if (!bucket) throw new Error('BACKUP_BUCKET is not set: the job needs the export bucket');
  const endpoint = env.S3_ENDPOINT;
  // A stalled request times out and is retried (the SDK retries timeouts), instead of holding a
  // backup's snapshot transaction open for ever: the SDK sets no request timeout by default.
  const requestHandler = { connectionTimeout: 5_000, requestTimeout: 60_000 };
  const { S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client(
    endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          region: env.AWS_REGION ?? 'us-east-1',
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
          },
          requestHandler,
        }
      : { requestHandler },
  );
  const made = { client, bucket, keyArn: env.BACKUP_KEY_ARN };
  if (env === process.env) target = made;
  return made;
}

/** Server-side encryption of every object written to the export bucket. */
export const encryption = (t: ExportTarget) =>
  t.keyArn
    ? ({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: t.keyArn, BucketKeyEnabled: true } as const)
    : ({ ServerSideEncryption: 'aws:kms' } as const);
