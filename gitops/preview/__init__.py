"""The offline preview (plan + guardrails) and the pull-request check of one environment, with its comment."""
