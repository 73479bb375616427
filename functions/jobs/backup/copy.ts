import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
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

/**
 * zlib's level for the export files: 1 compresses about twice as fast as zlib's default 6, for
 * files about 15 % larger (COPY text of generated data: 6.1 times smaller instead of 7.1), so
 * compression keeps up with COPY (bench/lifecycle.ts).
 */
export const gzipLevel = 1;

/**
 * COPY sends one message per row, and postgres.js hands each on as its own chunk: written to gzip
 * one by one, every row is a trip to zlib's thread (a 1.8 M-row table took 170 s instead of 16 s).
 * Rows are gathered into writes of this size instead.
 */
export const gzipWriteBytes = 1024 * 1024;

/** Multipart parts of 8 MiB, four in flight: memory stays bounded whatever the table's size. */
export const partSize = 8 * 1024 * 1024;

/** A table dumped to a gzip file in the temporary directory, not yet in the bucket. */
export interface Dumped {
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  /** Uploads the file as one S3 object (multipart, SSE-KMS), then removes it (also on failure). */
  upload(target: ExportTarget, key: string, partSize?: number): Promise<void>;
}

/**
 * Runs `COPY (select columns from table [where]) TO STDOUT` into a gzip file in the temporary
 * directory, counting rows (COPY text format ends every row with a newline and escapes newlines
 * inside values) and hashing the stored bytes. The database is drained to disk at its own pace and
 * S3 reads the file at its own: the snapshot transaction goes on to the next table while this one
 * uploads (the backup's handler keeps a few uploads in flight).
 */
export async function dumpToFile(
  tx: Tx,
  o: { table: string; columns: readonly string[]; where?: string; onRows?: (n: number) => void },
): Promise<Dumped> {
  const dir = await mkdtemp(join(tmpdir(), 'eatsential-export-'));
  const path = join(dir, 'part.copy.gz');
  const removed = () => rm(dir, { recursive: true, force: true });
  try {
    const source = (await tx
      .unsafe(
        `copy (select ${o.columns.map(ident).join(', ')} from ${qualified(o.table)}${o.where ? ` where ${o.where}` : ''}) to stdout`,
      )
      .readable()) as Readable;
    let rows = 0;
    let bytes = 0;
    const hash = createHash('sha256');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const gathered = () => {
      const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return chunk;
    };
    // One pipeline: backpressure from the file back to the COPY (memory stays bounded however
    // slow the disk or gzip), and a failure anywhere (a full disk, a lost connection) destroys
    // every stage and rejects here; the patched postgres.js then drops the rest of the COPY.
    await pipeline(
      source,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          let n = 0;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
          rows += n;
          try {
            o.onRows?.(n);
          } catch (error) {
            done(error as Error);
            return;
          }
          pending.push(chunk);
          pendingBytes += chunk.length;
          done(null, pendingBytes >= gzipWriteBytes ? gathered() : undefined);
        },
        flush(done) {
          done(null, pendingBytes ? gathered() : undefined);
        },
      }),
      createGzip({ level: gzipLevel }),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(path),
    );
    return {
      rows,
      bytes,
      sha256: hash.digest('hex'),
      async upload(target, key, size = partSize) {
        try {
          const { Upload } = await import('@aws-sdk/lib-storage');
          await new Upload({
            client: target.client,
            params: {
              Bucket: target.bucket,
              Key: key,
              Body: createReadStream(path),
              ContentType: 'application/gzip',
              ...encryption(target),
            },
            partSize: size,
            queueSize: 4,
            leavePartsOnError: false,
          }).done();
        } finally {
          await removed();
        }
      },
    };
  } catch (e) {
    await removed();
    throw e;
  }
}

/** `dumpToFile`, then its upload: one table as one S3 object. */
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
  const dumped = await dumpToFile(tx, o);
  await dumped.upload(target, o.key, o.partSize);
  return { rows: dumped.rows, bytes: dumped.bytes, sha256: dumped.sha256 };
}

/** Writes a small JSON object (a manifest) to the bucket. */
export async function putJson(target: ExportTarget, key: string, value: unknown): Promise<void> {
  const { Upload } = await import('@aws-sdk/lib-storage');
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
