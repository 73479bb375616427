import { handlerFor } from '../core/handler';
import { operations } from './operations';

export const handler = handlerFor('identity', operations);
