import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Upload } from '@aws-sdk/lib-storage';
import type { Tx } from '../../core/db';
import { encryption, type ExportTarget } from '../../core/s3';

/** One exported table in a manifest. */
export interface ManifestFile {
  /** `schema.table` */
  readonly table: string;
  /** The columns in the file, in order (generated columns are left out: they are recomputed). */
  readonly columns: readonly string[];
  readonly rows: number;
  /** Object key, relative to the manifest's prefix. */
  readonly file: string;
  readonly bytes: number;
  /** SHA-256 of the object as stored (gzip of COPY text format). */
  readonly sha256: string;
}

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const qualified = (table: string) => table.split('.').map(ident).join('.');

/** Multipart parts of 8 MiB, four in flight: memory stays bounded whatever the table's size. */
export const partSize = 8 * 1024 * 1024;

/**
 * Runs `COPY (select columns from table [where]) TO STDOUT` into a gzip file in the temporary
 * directory, counting rows (COPY text format ends every row with a newline and escapes newlines
 * inside values) and hashing the stored bytes, then uploads the file as one S3 object (multipart,
 * SSE-KMS). The COPY stream is read in flowing mode: pausing it (backpressure from a slower S3
 * upload) leaves postgres.js unable to finish the statement, so the database is drained to disk
 * first and S3 reads the file at its own pace.
 */
export async function copyToObject(
  tx: Tx,
  target: ExportTarget,
  o: {
    table: string;
    columns: readonly string[];
    key: string;
    where?: string;
    onRows?: (n: number) => void;
    /** @default partSize */
    partSize?: number;
  },
): Promise<{ rows: number; bytes: number; sha256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'eatsential-export-'));
  const path = join(dir, 'part.copy.gz');
  try {
    const source = (await tx
      .unsafe(
        `copy (select ${o.columns.map(ident).join(', ')} from ${qualified(o.table)}${o.where ? ` where ${o.where}` : ''}) to stdout`,
      )
      .readable()) as Readable;
    let rows = 0;
    let bytes = 0;
    const hash = createHash('sha256');
    const gzip = createGzip();
    const file = createWriteStream(path);
    gzip.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      file.write(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      source.on('data', (chunk: Buffer) => {
        let n = 0;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
        rows += n;
        o.onRows?.(n);
        gzip.write(chunk);
      });
      source.once('error', reject);
      gzip.once('error', reject);
      source.once('end', () => gzip.end());
      gzip.once('end', resolve);
    });
    await new Promise<void>((resolve, reject) => {
      file.once('error', reject);
      file.end(resolve);
    });
    await new Upload({
      client: target.client,
      params: {
        Bucket: target.bucket,
        Key: o.key,
        Body: createReadStream(path),
        ContentType: 'application/gzip',
        ...encryption(target),
      },
      partSize: o.partSize ?? partSize,
      queueSize: 4,
      leavePartsOnError: false,
    }).done();
    return { rows, bytes, sha256: hash.digest('hex') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a small JSON object (a manifest) to the bucket. */
export async function putJson(target: ExportTarget, key: string, value: unknown): Promise<void> {
  await new Upload({
    client: target.client,
    params: {
      Bucket: target.bucket,
      Key: key,
      Body: JSON.stringify(value, null, 2),
      ContentType: 'application/json',
      ...encryption(target),
    },
  }).done();
}
