import { handlerFor } from '../core/handler';
import { context, operations } from './operations';
import { wellnessRoutes } from './routes';

export const handler = handlerFor('wellness', wellnessRoutes, operations, { context });
