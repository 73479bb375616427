import { Match } from 'aws-cdk-lib/assertions';
import { routeKey } from '../../functions/core/route';
import { routes } from '../../functions/routes';
import { getAtt, idsOf, oneIdOf, pascal, synthStage, type Synth } from './synth';

let dev: Synth;
let prod: Synth;

beforeAll(() => {
  dev = synthStage('dev');
  prod = synthStage('prod');
});

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
] as const)('HTTP API on %s', (stage, get) => {
  it('has exactly the routes of the route table', () => {
    const s = get();

    const keys = idsOf(s.resources, 'AWS::ApiGatewayV2::Route').map(
      (id) => s.resources[id]!.Properties!.RouteKey,
    );
    expect([...keys].sort()).toEqual(routes.map(routeKey).sort());
  });

  it.each(routes.map((r) => [routeKey(r), r] as const))(
    'routes %s to its domain Lambda with its authorization',
    (key, r) => {
      const s = get();
      const route = idsOf(s.resources, 'AWS::ApiGatewayV2::Route').find(
        (id) => s.resources[id]!.Properties!.RouteKey === key,
      )!;
      const props = s.resources[route]!.Properties!;
      const integrationId = (props.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })[
        'Fn::Join'
      ][1][1].Ref;
      const fn = oneIdOf(
        s.resources,
        'AWS::Lambda::Function',
        new RegExp(`/Api${pascal(r.domain)}/Function/`),
      );
      const authorizer = oneIdOf(s.resources, 'AWS::ApiGatewayV2::Authorizer', /\/Api\//);

      expect(s.resources[integrationId]!.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: getAtt(fn),
        PayloadFormatVersion: '2.0',
      });
      if (r.access === 'public') {
        expect(props.AuthorizationType).toBe('NONE');
        expect(props.AuthorizerId).toBeUndefined();
      } else {
        expect(props.AuthorizationType).toBe('CUSTOM');
        expect(props.AuthorizerId).toEqual({ Ref: authorizer });
      }
    },
  );

  it('authorizes with the Lambda REQUEST authorizer: simple responses, Authorization header, short or no cache', () => {
    const s = get();
    const fn = oneIdOf(s.resources, 'AWS::Lambda::Function', /\/Authorizer\/Function\//);

    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: Match.anyValue(),
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([getAtt(fn)])] }),
    });
    const ttl = Object.values(s.template.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!.Properties
      .AuthorizerResultTtlInSeconds;
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('throttles every route by default and the auth routes tighter', () => {
    const s = get();
    const expected = {
      dev: { default: { rate: 50, burst: 100 }, auth: { rate: 5, burst: 10 } },
      prod: { default: { rate: 500, burst: 1000 }, auth: { rate: 10, burst: 20 } },
    }[stage];
    const authRoutes = routes.filter((r) => 'throttle' in r && r.throttle === 'auth').map(routeKey);
    const stages = Object.values(s.template.findResources('AWS::ApiGatewayV2::Stage'));

    expect(authRoutes).toEqual(
      expect.arrayContaining([
        'POST /auth/login',
        'POST /auth/register',
        'POST /auth/password-reset/request',
      ]),
    );
    expect(stages).toHaveLength(1);
    const props = stages[0]!.Properties as {
      StageName: string;
      DefaultRouteSettings: Record<string, unknown>;
      RouteSettings: Record<string, unknown>;
    };
    expect(props.StageName).toBe('$default');
    expect(props.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: expected.default.rate,
      ThrottlingBurstLimit: expected.default.burst,
    });
    // Exactly the auth routes, by route key, each with the tighter limits.
    expect(props.RouteSettings).toEqual(
      Object.fromEntries(
        authRoutes.map((key) => [
          key,
          { ThrottlingRateLimit: expected.auth.rate, ThrottlingBurstLimit: expected.auth.burst },
        ]),
      ),
    );
    // Route settings name route keys: the stage waits for those routes.
    const routeIds = idsOf(s.resources, 'AWS::ApiGatewayV2::Route').filter((id) =>
      authRoutes.includes(String(s.resources[id]!.Properties!.RouteKey)),
    );
    const stageId = idsOf(s.resources, 'AWS::ApiGatewayV2::Stage')[0]!;
    expect(s.resources[stageId]!.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('writes JSON access logs to an encrypted log group with a retention period', () => {
    const s = get();
    const group = oneIdOf(s.resources, 'AWS::Logs::LogGroup', /\/Api\/AccessLogs\//);
    const stageProps = Object.values(s.template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;

    expect(stageProps.AccessLogSettings.DestinationArn).toEqual(getAtt(group));
    expect(Object.keys(JSON.parse(stageProps.AccessLogSettings.Format as string))).toEqual(
      expect.arrayContaining(['requestId', 'routeKey', 'status', 'integrationError', 'authorizerError']),
    );
    expect(s.resources[group]!.Properties).toMatchObject({
      RetentionInDays: expect.any(Number),
      KmsKeyId: expect.anything(),
    });
  });

  it('allows no CORS (the clients are mobile apps)', () => {
    get().template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
  });

  it('lets only this API invoke the domain Lambdas', () => {
    const s = get();
    const api = oneIdOf(s.resources, 'AWS::ApiGatewayV2::Api', /\/Api\//);

    for (const domain of new Set(routes.map((r) => r.domain))) {
      const fn = oneIdOf(s.resources, 'AWS::Lambda::Function', new RegExp(`/Api${pascal(domain)}/Function/`));
      const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission')).filter(
        (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(getAtt(fn)),
      );
      expect(permissions.length).toBeGreaterThan(0);
      for (const p of permissions) {
        expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
        expect(JSON.stringify(p.Properties.SourceArn)).toContain(JSON.stringify({ Ref: api }));
      }
    }
  });
});
