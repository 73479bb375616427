import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { routes } from '../routes';
import { routeKey } from '../core/route';
import { verifyAuthorization } from '../core/tokens';

const adminRoutes = new Set(routes.filter((r) => r.access === 'admin').map(routeKey));

type Result = APIGatewaySimpleAuthorizerWithContextResult<{
  userId: string;
  role: string;
  sessionId: string;
}>;

/**
 * API Gateway's first gate on `user` and `admin` routes: a valid access token (and the admin role
 * where the route table asks for it). The domain Lambda checks again, and checks the session is live.
 */
export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<Result> {
  const deny: Result = { isAuthorized: false, context: { userId: '', role: '', sessionId: '' } };
  try {
    const caller = await verifyAuthorization(event.headers?.authorization);
    if (adminRoutes.has(event.routeKey) && caller.role !== 'admin') return deny;
    return {
      isAuthorized: true,
      context: { userId: caller.userId, role: caller.role, sessionId: caller.sessionId },
    };
  } catch {
    return deny;
  }
}
