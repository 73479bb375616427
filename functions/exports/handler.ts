import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { exportsRoutes } from './routes';

export const handler = handlerFor('exports', exportsRoutes, operations);
