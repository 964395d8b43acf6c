"""CloudFront sends a secret the API accepts: the value in the distribution's secret header is one of the values
the API's origin guard (its REGIONAL WAF web ACL) lets through. Catches a rotation done in the wrong order.

An origin is the API's when origin-secret-header says so, or when it is one of the plan's API Gateway custom domain
names (several regions: CloudFront's origin is the latency-routed name of the regional custom domains). A custom
domain origin that sends no secret header at all is found here (every region's guard would refuse all it forwards);
origin-secret-header, which sees one resource, cannot tell it is the API's.

Secret values are compared, never shown.
"""

from pulumi_policy import EnforcementLevel

from .api_requires_origin_secret import accepted_values, guarding_acls
from .aws import API_DOMAIN_NAME, DISTRIBUTION, HEADER_NAME_SETTING
from .origin_secret_header import is_api_origin, secret_headers
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan_stack(resources: list[Resource], config: dict):
    header = config["headerName"]
    api_domains = {r.props.get("domainName") for r in resources if r.type == API_DOMAIN_NAME} - {None}
    accepted: set[str] = set()
    unknown = False
    for acl in guarding_acls(resources):
        values = accepted_values(acl, header)
        unknown |= UNKNOWN in values
        accepted |= {v for v in values if isinstance(v, str)}
    for distribution in (r for r in resources if r.type == DISTRIBUTION):
        for index, origin in enumerate(distribution.props.get("origins") or []):
            if not is_api_origin(origin, header, api_domains):
                continue
            where = f"origins[{index}] ({origin.get('originId')}).customHeaders"
            sent = secret_headers(origin, header)
            if not sent and origin.get("domainName") not in api_domains:
                continue  # an execute-api host: origin-secret-header finds it without the stack's view
            if not sent:
                names = ", ".join(str(h.get("name")) for h in origin.get("customHeaders") or [] if isinstance(h, dict))
                yield Finding(where, f"[{names}] (no {header}) on {shown(origin.get('domainName'))}, an API origin "
                              "whose guards refuse every request without the secret",
                              f"a {header} header carrying a secret the API's origin guard accepts",
                              resource=distribution)
                continue
            value = sent[0].get("value")
            if unknown or not accepted:
                continue  # values only known at deploy, or no guard at all (api-requires-origin-secret reports that)
            if isinstance(value, str) and value not in accepted:
                yield Finding(f"{where}[{header}].value",
                              f"a secret the API does not accept (it accepts {len(accepted)} other value"
                              f"{'s' * (len(accepted) != 1)})",
                              "a value the API's origin guard accepts: first add the new value to "
                              "ml-edge:originSecret.accept, then send it", resource=distribution)


RULE = Rule(
    name="origin-secret-accepted",
    description="CloudFront sends an origin secret that the API's origin guard accepts (a rotation never "
                "switches CloudFront to a value the API would refuse).",
    remediation="Rotate in two pull requests: 1) accept: [old, new] and send: new; 2) once deployed, accept: "
                "[new]. See the README's 'Rotate the origin secret' runbook.",
    config={"headerName": HEADER_NAME_SETTING},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
