"""`make consumer-key ENV=<env> CONSUMER=<name>` (gitops/aws/consumer_key.py, whose text is the help).
Exit: 0 the key printed · 2 refused (the reason on stderr)."""

import argparse
import sys

from ..aws import consumer_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make consumer-key", description=consumer_key.__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--stack", help="Pulumi stack name (default: PULUMI_STACK_PREFIX + the environment name)")
    args = parser.parse_args(argv)
    try:
        key = consumer_key.consumer_key(args.env, args.consumer, args.stack)
    except consumer_key.Refused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
