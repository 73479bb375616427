import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { catalogueRoutes } from './routes';

export const handler = handlerFor('catalogue', catalogueRoutes, operations);
