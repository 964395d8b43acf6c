"""AWS resource type tokens and managed CloudFront policy IDs the rules refer to."""

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
REST_API = "aws:apigateway/restApi:RestApi"
STAGE = "aws:apigateway/stage:Stage"
API_DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
LAMBDA_FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
HTTP_API = "aws:apigatewayv2/api:Api"  # HTTP and WebSocket APIs
FUNCTION = "aws:lambda/function:Function"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
DNS_RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled

# settings shared by the rules about the origin secret
HEADER_NAME_SETTING = {"type": "string", "default": "X-Origin-Verify",
                       "description": "The header CloudFront adds and the API checks (the origin secret)."}
MIN_LENGTH_SETTING = {"type": "integer", "minimum": 16, "default": 32,
                      "description": "Shortest acceptable origin secret, in characters."}
