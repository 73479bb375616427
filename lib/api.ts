import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeKey, type Route } from '../functions/core/route';
import { acknowledge } from './nag';

export interface ThrottleLimits {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

export interface ApiProps {
  /** The route table (`functions/routes.ts`). */
  readonly routes: readonly Route[];
  /** The Lambda of each domain named by a route. */
  readonly handlers: Readonly<Record<string, lambda.IFunction>>;
  /** REQUEST authorizer of every route whose access is `user` or `admin`. */
  readonly authorizer: lambda.IFunction;
  /** Encrypts the access-log group. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Stage-wide throttling of every route. */
  readonly defaultThrottle: ThrottleLimits;
  /** Tighter throttling of the routes marked `throttle: 'auth'` (login, register, resets). */
  readonly authThrottle: ThrottleLimits;
  /**
   * How long API Gateway caches an authorizer answer per Authorization header (0 to 60 s).
   * Zero means a signed-out token stops working on the very next request.
   * @default Duration.seconds(0)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * @default 'eatsential'
   */
  readonly apiName?: string;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The HTTP API (payload v2): one route per entry of the route table, integrated with its
 * domain's Lambda; `user` and `admin` routes pass the Lambda REQUEST authorizer first. Stage
 * throttling by default, tighter per-route throttling on the auth routes, JSON access logs to a
 * KMS-encrypted log group. No CORS: the clients are mobile apps.
 */
export class Api extends Construct {
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly accessLogGroup: logs.LogGroup;
  public readonly authorizer: HttpLambdaAuthorizer;
  /** Every route, by route key (`POST /auth/login`). */
  public readonly routes: Readonly<Record<string, apigw.HttpRoute>>;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const cacheTtl = props.authorizerCacheTtl ?? Duration.seconds(0);
    if (cacheTtl.toSeconds() > 60) throw new Error('Authorizer results may be cached for 60 seconds at most');
    for (const [name, t] of Object.entries({ default: props.defaultThrottle, auth: props.authThrottle })) {
      if (!(t.rateLimit > 0 && t.burstLimit >= 1))
        throw new Error(`The ${name} throttle needs a positive rate and burst`);
    }
    if (
      props.authThrottle.rateLimit > props.defaultThrottle.rateLimit ||
      props.authThrottle.burstLimit > props.defaultThrottle.burstLimit
    ) {
      throw new Error('The auth throttle must be tighter than the default throttle');
    }
    const keys = new Set<string>();
    for (const r of props.routes) {
      const key = routeKey(r);
      if (keys.has(key)) throw new Error(`Route ${key} appears twice in the route table`);
      keys.add(key);
      if (!props.handlers[r.domain])
        throw new Error(`Route ${key} names domain "${r.domain}", which has no Lambda`);
    }

    // An HTTP API's own answers (authorizer 401/403, throttling 429, 413, 500/503/504) keep API
    // Gateway's `{"message": ...}` body: unlike a REST API it has no gateway responses to reshape
    // them. The OpenAPI document declares that shape (`GatewayError`) beside each route's problems.
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: props.apiName ?? 'eatsential',
      description: 'Eatsential backend (payload v2)',
      createDefaultStage: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      detailedMetricsEnabled: true,
      throttle: props.defaultThrottle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            requestTime: '$context.requestTimeEpoch',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integration.error',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    this.authorizer = new HttpLambdaAuthorizer('AccessToken', props.authorizer, {
      authorizerName: 'access-token',
      identitySource: ['$request.header.Authorization'],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: cacheTtl,
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    const integrationOf = (domain: string) => {
      let integration = integrations.get(domain);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${domain}Integration`, props.handlers[domain]!, {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
          // One invoke permission per domain for this API, not one per route: a Lambda's resource
          // policy is capped at 20 KB, which a growing route table would otherwise reach.
          scopePermissionToRoute: false,
        });
        integrations.set(domain, integration);
      }
      return integration;
    };

    const routes: Record<string, apigw.HttpRoute> = {};
    // CfnStage.routeSettings is a raw JSON map (route key -> settings) that CDK passes through
    // unchanged, so the settings are written with CloudFormation's own (PascalCase) names.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const r of props.routes) {
      const key = routeKey(r);
      const route = new apigw.HttpRoute(this, `Route ${key.replace(/\//g, '|')}`, {
        httpApi: this.httpApi,
        routeKey: apigw.HttpRouteKey.with(r.path, apigw.HttpMethod[r.method]),
        integration: integrationOf(r.domain),
        authorizer: r.access === 'public' ? undefined : this.authorizer,
      });
      routes[key] = route;
      if (r.access === 'public') {
        const why =
          r.method === 'GET'
            ? 'it serves a public service document (liveness, the API description and its reference page) that names no user, to callers that hold no access token'
            : 'it is how a caller without a valid access token gets or recovers one: register, verify an email, sign in, refresh a session or reset a password';
        acknowledge(route, {
          'AwsSolutions-APIG4': `${key} is public by design in functions/routes.ts ("${r.summary}"): ${why}.`,
        });
      }
      if (r.throttle === 'auth') {
        routeSettings[key] = {
          ThrottlingRateLimit: props.authThrottle.rateLimit,
          ThrottlingBurstLimit: props.authThrottle.burstLimit,
        };
      }
    }
    this.routes = routes;

    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    if (Object.keys(routeSettings).length > 0) {
      cfnStage.routeSettings = routeSettings;
      // Route settings name route keys, which must exist before the stage refers to them.
      for (const key of Object.keys(routeSettings)) cfnStage.node.addDependency(routes[key]!);
    }
  }

  /** The invoke URL of the API. */
  get url(): string {
    return this.stage.url;
  }
}
