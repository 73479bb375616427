import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { recommendationsRoutes } from './routes';

export const handler = handlerFor('recommendations', recommendationsRoutes, operations);
