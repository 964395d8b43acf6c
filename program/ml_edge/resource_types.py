"""The Pulumi type tokens of what the program creates and reads, as the engine, the offline plan and the policy pack
see them (`pulumi_aws` and `pulumi_random` spell them in each class). The program's one home of them: gitops (the
plan's mocks and its text) and the tests import them from here. No import of pulumi: a job may read them without
the SDK.

The policy pack keeps its own copies (policies/guardrails/aws.py; it imports nothing of the program):
tests/test_facts_in_the_pack.py keeps them equal to these, and every token here real in the installed SDK.
"""

# API Gateway (REST API)
REST_API = "aws:apigateway/restApi:RestApi"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
CLIENT_CERTIFICATE = "aws:apigateway/clientCertificate:ClientCertificate"
API_KEY = "aws:apigateway/apiKey:ApiKey"
API_DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
BASE_PATH_MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
USAGE_PLAN_KEY = "aws:apigateway/usagePlanKey:UsagePlanKey"
# the account's CloudWatch role: the bootstrap's, never a stack's
API_GATEWAY_ACCOUNT = "aws:apigateway/account:Account"
# WAF
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
# CloudFront and Route 53
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
DNS_RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
# ACM
CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
# Lambda and IAM
FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
# CloudWatch
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# EventBridge (the region canary's schedule)
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION_EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
# pulumi_random
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"

# functions the program calls (invokes)
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_PARTITION = "aws:index/getPartition:getPartition"
GET_REGION = "aws:index/getRegion:getRegion"
