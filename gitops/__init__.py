"""What the workflows, the Makefile and people run around the program: previews, deploys, smoke runs, drift checks
and pull-request comments. Layered by role; tests/test_layers.py checks the rule below on every module (with
`ast`, before anything runs) and that each entry point a workflow runs loads only what its job's lock installs.

cli/        the entry points (`python -m gitops.cli.<name>`): arguments → one call into a library → exit status,
            and the printing that belongs to the command. Nothing imports cli/, and no cli module imports another.
Libraries, from the top down; each imports only the ones listed after its arrow:
preview/    the offline preview (plan + guardrails) and the pull-request check with its comment
              → planning/, policy/, pulumi/, github/ (the comment's marker only), stacks/
deploy/     deploying one environment: the decision, the rotation order, up or the approved plan, the after-up steps
              → aws/, pulumi/, stacks/
smoke_run/  the edge smoke suite against a deployed environment → pulumi/, stacks/
policy/     the guardrail pack over gRPC, and its results as text → planning/, stacks/
aws/        the AWS calls of the deploy and of `make consumer-key` → pulumi/, stacks/
planning/   the program under Pulumi's mocks: the plan, and the plan as text → stacks/
github/     the GitHub REST calls, the comment poster, the issue tracker, deploys under way → stacks/ only: the
            poster runs with a write token from a lock without pulumi, pydantic or grpc, so never planning/, policy/
            or pulumi/
pulumi/     the Pulumi CLI: commands, the stack's outputs, secrets and record, prod's saved plan, drift → stacks/
stacks/     the environment folders as the CLI reads them, what a change touches, whether an environment is set
            up, the origin-secret rotation rules, the program's package on the import path → nothing else of gitops

New capabilities land as packages of their own (cost/, rollout/), placed in this list and in tests/test_layers.py.
"""
