#!/usr/bin/env bash
# GitHub disables the scheduled workflows of a public repository when no repository activity has occurred in 60 days:
# the hourly smoke and the nightly drift would then stop without a word. Run from the nightly drift, this warns (an
# annotation on the run and a section of its summary) from WARN_AFTER_DAYS (45) days after the newest commit of the
# checked-out default branch: the repository activity a run can see (other activity may also count; GitHub does not
# define it, so commits alone give the earliest date the schedules can stop). NOW (epoch seconds) is for tests.
set -euo pipefail

disabled_after_days=60
warn_after_days="${WARN_AFTER_DAYS:-45}"
last_commit="$(git log -1 --format=%ct HEAD)"
now="${NOW:-$(date +%s)}"
quiet_days=$(((now - last_commit) / 86400))
stops_on="$(date -u -d "@$((last_commit + disabled_after_days * 86400))" +%Y-%m-%d)"

echo "newest commit on the default branch: $quiet_days day(s) ago; without activity GitHub disables the scheduled" \
  "workflows (smoke.yml, drift.yml) of a public repository on $stops_on"
if [ "$quiet_days" -lt "$warn_after_days" ]; then
  exit 0
fi
message="no commit for $quiet_days days: GitHub disables the scheduled smoke and drift of a public repository after"
message="$message $disabled_after_days days without activity, from $stops_on. Any commit to the default branch resets"
message="$message the count; once disabled, enable them again under Actions (smoke.yml, drift.yml: Enable workflow)."
echo "::warning title=Scheduled smoke and drift stop on $stops_on::$message"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '### ⚠️ Scheduled smoke and drift stop on %s\n\n%s\n' "$stops_on" "$message" >> "$GITHUB_STEP_SUMMARY"
fi
