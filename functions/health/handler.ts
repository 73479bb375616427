import { handlerFor } from '../core/handler';
import { operations } from './operations';
import { healthRoutes } from './routes';

export const handler = handlerFor('health', healthRoutes, operations);
