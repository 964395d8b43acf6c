"""Every API stage has execution logging on (ERROR or INFO) with metrics, and never data tracing: a data trace
writes whole requests and responses into CloudWatch Logs, headers included, so every consumer key (x-api-key), the
origin secret (X-Origin-Verify) and the request bodies (personal data, possibly)."""

from pulumi_policy import EnforcementLevel

from .aws import METHOD_SETTINGS, STAGE
from .rule import UNKNOWN, Finding, Resource, Rule, one_of, shown

ALL_METHODS = "*/*"


def scan_stack(resources: list[Resource], config: dict):
    covered: set[str] = set()
    for settings in (r for r in resources if r.type == METHOD_SETTINGS):
        values = settings.props.get("settings") if isinstance(settings.props.get("settings"), dict) else {}
        yield from _settings(settings, values, config["allowedLoggingLevels"])
        if settings.props.get("methodPath") == ALL_METHODS:
            covered |= set(settings.property_dependencies.get("stageName", []))
    for stage in (r for r in resources if r.type == STAGE and r.urn not in covered):
        yield Finding("method settings", f'none for "{ALL_METHODS}" (execution logging off, no metrics)',
                      f'a MethodSettings on "{ALL_METHODS}" of this stage (program/ml_edge/api.py)', resource=stage)


def _settings(resource: Resource, values: dict, levels: list[str]):
    trace = values.get("dataTraceEnabled")
    if trace is True:
        yield Finding("settings.dataTraceEnabled", "true",
                      "false (a data trace logs whole requests: consumer keys, the origin secret, bodies)",
                      resource=resource)
    level = values.get("loggingLevel")
    if level is not UNKNOWN and level not in levels:
        yield Finding("settings.loggingLevel", shown(level), one_of(levels), resource=resource)
    metrics = values.get("metricsEnabled")
    if metrics is not UNKNOWN and metrics is not True:
        yield Finding("settings.metricsEnabled", shown(metrics), "true", resource=resource)


RULE = Rule(
    name="apigateway-execution-logging",
    description="Every API Gateway stage logs execution errors (ERROR or INFO) with CloudWatch metrics, and never "
                "traces data (a data trace logs headers and bodies: consumer keys and the origin secret).",
    remediation="Keep the MethodSettings on */* in program/ml_edge/api.py: logging_level ERROR, metrics_enabled "
                "True, data_trace_enabled False.",
    config={"allowedLoggingLevels": {"type": "array", "items": {"type": "string", "enum": ["ERROR", "INFO"]},
                                     "minItems": 1, "default": ["ERROR", "INFO"],
                                     "description": "Execution logging levels a stage may use (OFF never)."}},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
