import { mkdirSync } from 'node:fs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * The exports bucket of `npm start`: s3rver, an S3-compatible server, on loopback, keeping its
 * objects in `dir`. Presigned download links work against it as against S3.
 */
export async function startLocalBucket(dir: string, port: number, bucket = 'eatsential-exports-local') {
  mkdirSync(dir, { recursive: true });
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir });
  const { port: bound } = await server.run();
  const endpoint = `http://127.0.0.1:${bound}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: unknown) => {
    if (
      (e as { name?: string }).name !== 'BucketAlreadyOwnedByYou' &&
      (e as { name?: string }).name !== 'BucketAlreadyExists'
    )
      throw e;
  });
  client.destroy();
  return { bucket, endpoint, close: () => server.close() };
}
