#!/usr/bin/env bash
# Says, in the run's summary and as a notice, why a pull-request run Dependabot triggered has no cloud preview.
# CLOUD_ENVIRONMENTS: the environments a cloud preview would have covered (JSON list, from gitops.cli.changes).
set -euo pipefail

environments="$(tr -d '[]"' <<< "${CLOUD_ENVIRONMENTS:?}" | sed 's/,/, /g')"
echo "::notice title=No cloud preview::GitHub gives a run Dependabot triggered no secrets and no OIDC token: no pulumi preview --diff of $environments; the offline preview (plan and guardrails) ran"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat >> "$GITHUB_STEP_SUMMARY" <<SUMMARY
### No cloud preview of $environments for this Dependabot pull request

GitHub runs a workflow that Dependabot triggers as if it came from a fork: no Actions or environment secrets, and no
OIDC token, so the \`<env>-preview\` roles cannot be assumed and \`pulumi preview --diff\` cannot run (re-running
the checks does not change that). The offline preview (plan and guardrails) ran and its comment is on the pull
request. The real diff appears when the change deploys: dev and staging in the deploy run after merge, prod as the
plan shown before its approval. To see it before merging, push a commit to this branch: a run a person triggers gets
the cloud preview (Dependabot then stops updating the branch).
SUMMARY
fi
