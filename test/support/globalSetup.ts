import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSql } from '../../functions/core/db';
import { connectionFailure } from '../../functions/core/dbUrl';
import { startEmbeddedPostgres } from '../../functions/local/embeddedPostgres';
import { migrate } from '../../sql/migrator';
import { migrationsFingerprint, repoRoot, templateEnv } from './template';

/**
 * Migrates one template per set of migrations; every test file then gets its own copy of it.
 * PostgreSQL: a template database. PGlite: a tarball of a migrated data directory.
 */
export default async function globalSetup(): Promise<void> {
  const fingerprint = migrationsFingerprint();
  const url = process.env.DATABASE_URL;
  if (url) {
    process.env[templateEnv] = await postgresTemplate(url, `eatsential_tpl_${fingerprint}`);
  } else {
    process.env[templateEnv] = await pgliteTemplate(
      join(repoRoot, '.local', 'test', `template-${fingerprint}.tar`),
    );
  }
}

async function postgresTemplate(url: string, name: string): Promise<string> {
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await admin`select 1`.catch((e: unknown) => {
      throw new Error(connectionFailure(url, e));
    });
    await admin`select pg_advisory_lock(hashtext('eatsential test template'))`;
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const building = `${name}_building`;
      await admin.unsafe(`drop database if exists ${building} with (force)`);
      await admin.unsafe(`create database ${building}`);
      const target = new URL(url);
      target.pathname = `/${building}`;
      const sql = createSql({ url: target.toString() });
      try {
        await migrate(sql);
      } finally {
        await sql.end();
      }
      await admin.unsafe(`alter database ${building} rename to ${name}`);
      await admin.unsafe(`alter database ${name} with is_template true`);
    }
    return name;
  } finally {
    await admin.end();
  }
}

async function pgliteTemplate(file: string): Promise<string> {
  if (existsSync(file)) return file;
  const pg = await startEmbeddedPostgres({ maxConnections: 4 });
  try {
    const sql = createSql({ url: pg.url });
    try {
      await migrate(sql);
    } finally {
      await sql.end();
    }
    const tar = Buffer.from(await (await pg.dump()).arrayBuffer());
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(`${file}.tmp`, tar);
    await rename(`${file}.tmp`, file);
    return file;
  } finally {
    await pg.stop();
  }
}
