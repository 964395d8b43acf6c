"""The Pulumi CLI as the workflows run it: commands, the stack's outputs, its secrets and its record of deploys, prod's
saved plan, the drift check."""
