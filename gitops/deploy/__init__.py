"""Deploying one environment: whether it needs a deploy, the origin-secret rotation order, the up or the approved
plan, and the steps after the up."""
