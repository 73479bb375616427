import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { identityRoutes } from './routes';

export const handler = handlerFor('identity', identityRoutes, operations);
