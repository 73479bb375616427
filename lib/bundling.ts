import { domains } from '../functions/domains';
import { jobs, type JobDefinition } from '../functions/jobs/table';

/**
 * How every Lambda is bundled, by `cdk synth` (NodejsFunction) and by `npm run build` alike.
 * The AWS SDK v3 ships with the nodejs22.x runtime, so it stays out of the bundles.
 */
export const esbuildOptions = {
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  keepNames: true,
  external: ['@aws-sdk/*'],
} as const;

/** Files copied next to a bundle: `<project root>/<from>/*<suffix>` into `<bundle>/<to>/`. */
export interface BundleCopy {
  readonly from: string;
  readonly to: string;
  readonly suffix: string;
}

/** One Lambda bundle: `dist/<name>/index.js` built from `entry` (relative to the project root). */
export interface BundleSpec {
  readonly name: string;
  readonly entry: string;
  readonly copy?: readonly BundleCopy[];
}

export const authorizerBundle: BundleSpec = { name: 'authorizer', entry: 'functions/authorizer/handler.ts' };

/** The migrate Lambda carries the migration files; the runner reads `MIGRATIONS_DIR` (default `./migrations`). */
export const migrateBundle: BundleSpec = {
  name: 'migrate',
  entry: 'functions/migrate/handler.ts',
  copy: [{ from: 'sql/migrations', to: 'migrations', suffix: '.sql' }],
};

export const domainBundleName = (domain: string): string => `api-${domain}`;
export const jobBundleName = (job: string): string => `job-${job}`;

/** Every Lambda of the backend, read from the domain and job tables. */
export function allBundles(
  domainTable: Readonly<
    Record<string, { readonly entry: string; readonly copy?: readonly BundleCopy[] }>
  > = domains,
  jobTable: readonly Pick<JobDefinition, 'name' | 'entry'>[] = jobs,
): BundleSpec[] {
  const bundles: BundleSpec[] = [
    ...Object.entries(domainTable).map(([domain, d]) => ({
      name: domainBundleName(domain),
      entry: d.entry,
      ...(d.copy ? { copy: d.copy } : {}),
    })),
    ...jobTable.map((j) => ({ name: jobBundleName(j.name), entry: j.entry })),
    authorizerBundle,
    migrateBundle,
  ];
  const seen = new Set<string>();
  for (const b of bundles) {
    if (!/^[a-z0-9-]+$/.test(b.name))
      throw new Error(`Lambda bundle name "${b.name}" must be lowercase letters, digits and dashes`);
    if (seen.has(b.name)) throw new Error(`Two Lambdas are named "${b.name}"`);
    seen.add(b.name);
  }
  return bundles;
}
