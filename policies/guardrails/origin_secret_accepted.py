"""CloudFront sends a secret the API accepts: the value in the distribution's secret header is one of the values
the API's origin guard (its REGIONAL WAF web ACL) lets through. Catches a rotation done in the wrong order.

Secret values are compared, never shown.
"""

from pulumi_policy import EnforcementLevel

from .api_requires_origin_secret import accepted_values, guarding_acls
from .aws import DISTRIBUTION, HEADER_NAME_SETTING
from .origin_secret_header import EXECUTE_API_HOST
from .rule import UNKNOWN, Finding, Resource, Rule


def scan_stack(resources: list[Resource], config: dict):
    header = config["headerName"]
    accepted: set[str] = set()
    unknown = False
    for acl in guarding_acls(resources):
        values = accepted_values(acl, header)
        unknown |= UNKNOWN in values
        accepted |= {v for v in values if isinstance(v, str)}
    if unknown or not accepted:
        return  # values only known at deploy, or no guard at all (api-requires-origin-secret reports that)
    for distribution in (r for r in resources if r.type == DISTRIBUTION):
        for index, origin in enumerate(distribution.props.get("origins") or []):
            domain = origin.get("domainName")
            if domain is not UNKNOWN and not EXECUTE_API_HOST.search(str(domain)):
                continue
            for h in origin.get("customHeaders") or []:
                value = h.get("value")
                if str(h.get("name", "")).lower() == header.lower() and isinstance(value, str) \
                        and value not in accepted:
                    yield Finding(f"origins[{index}] ({origin.get('originId')}).customHeaders[{header}].value",
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
