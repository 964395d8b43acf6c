"""The consumer authorizer: a Lambda REQUEST authorizer that lets each API key call only its consumer's models."""
