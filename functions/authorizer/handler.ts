import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { verifyAuthorization } from '../core/tokens';

type Result = APIGatewaySimpleAuthorizerWithContextResult<{
  userId: string;
  role: string;
  sessionId: string;
}>;

/**
 * API Gateway's first gate on `user` and `admin` routes: a valid, unexpired access token. It keeps
 * no route table and no database client (a small, fast cold start); the domain Lambda checks the
 * session is still live and, on admin routes, the role as the database has it now.
 */
export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<Result> {
  try {
    const caller = await verifyAuthorization(event.headers?.authorization);
    return {
      isAuthorized: true,
      context: { userId: caller.userId, role: caller.role, sessionId: caller.sessionId },
    };
  } catch {
    return { isAuthorized: false, context: { userId: '', role: '', sessionId: '' } };
  }
}
