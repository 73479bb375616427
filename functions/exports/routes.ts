import type { Route } from '../core/route';
import * as s from './schemas';

/** The exports domain's slice of the route table: a person's copy of their data ("my data"). */
export const exportsRoutes = [
  {
    method: 'POST',
    path: '/me/exports',
    domain: 'exports',
    access: 'user',
    operationId: 'requestExport',
    summary: 'Ask for a copy of everything held about me (JSON, with my allergies as FHIR R4)',
    description:
      'Answers 202 with the export and its Location; the export is built right after the answer is committed, ' +
      'in the same invocation, and GET /me/exports/{id} tells when it is ready. While one export of mine is ' +
      'pending or running, asking again (from any phone) answers that same export. Needs no consent: ' +
      'mental-wellness data is included when there is some.',
    status: 202,
    schemas: { response: s.dataExport },
  },
  {
    method: 'GET',
    path: '/me/exports',
    domain: 'exports',
    access: 'user',
    operationId: 'listExports',
    summary: 'My exports, newest first',
    status: 200,
    schemas: { query: s.exportsQuery, response: s.exportsPage },
  },
  {
    method: 'GET',
    path: '/me/exports/{id}',
    domain: 'exports',
    access: 'user',
    operationId: 'getExport',
    summary: 'One of my exports; when ready, a download link valid for 15 minutes',
    description:
      'Exports are kept 7 days after they are ready, then the object is removed from the bucket and the export reads expired.',
    status: 200,
    problems: { 404: ['export_not_found'] },
    schemas: { params: s.exportParams, response: s.dataExport },
  },
] as const satisfies readonly Route<'exports'>[];
