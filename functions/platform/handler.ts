import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { platformRoutes } from './routes';

export const handler = handlerFor('platform', platformRoutes, operations);
