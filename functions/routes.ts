import { catalogueRoutes } from './catalogue/routes';
import { exportsRoutes } from './exports/routes';
import { healthRoutes } from './health/routes';
import { identityRoutes } from './identity/routes';
import { platformRoutes } from './platform/routes';
import { recommendationsRoutes } from './recommendations/routes';
import { wellnessRoutes } from './wellness/routes';

/**
 * THE route table: the concatenation of every domain's slice, and the single source for the local
 * server, the OpenAPI document, the tests that walk every route and the API Gateway routes of the
 * infrastructure. A domain Lambda imports only its own slice (`functions/<domain>/routes.ts`).
 */
export const routes = [
  ...platformRoutes,
  ...identityRoutes,
  ...healthRoutes,
  ...wellnessRoutes,
  ...catalogueRoutes,
  ...recommendationsRoutes,
  ...exportsRoutes,
] as const;

export type AppRoute = (typeof routes)[number];
