import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { exportTarget, type ExportTarget } from '../../functions/core/s3';

export interface TestBucket {
  readonly target: ExportTarget;
  readonly endpoint: string;
  /** S3 event names the server emitted (e.g. ObjectCreated:CompleteMultipartUpload), with keys. */
  readonly events: { name: string; key: string }[];
}

/**
 * A real S3-compatible server (s3rver) on loopback, with one bucket, for the file's tests: the
 * AWS SDK talks HTTP to it, multipart uploads included. Registers its own beforeAll/afterAll.
 */
export function useTestBucket(bucket = 'eatsential-exports-test'): TestBucket {
  let server: S3rver | undefined;
  let dir = '';
  const state = {
    target: undefined as ExportTarget | undefined,
    endpoint: '',
    events: [] as { name: string; key: string }[],
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eatsential-s3-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
    server.on('event', (e: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => {
      for (const r of e.Records) state.events.push({ name: r.eventName, key: r.s3.object.key });
    });
    const { port } = await server.run();
    state.endpoint = `http://127.0.0.1:${port}`;
    state.target = await exportTarget({ BACKUP_BUCKET: bucket, S3_ENDPOINT: state.endpoint });
    await state.target.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    state.target?.client.destroy();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get target() {
      if (!state.target) throw new Error('useTestBucket(): the bucket is ready only inside tests and hooks');
      return state.target;
    },
    get endpoint() {
      return state.endpoint;
    },
    events: state.events,
  };
}
