import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { wellnessRoutes } from './routes';

export const handler = handlerFor('wellness', wellnessRoutes, operations);
