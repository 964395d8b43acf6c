"""The guardrail pack, reached over gRPC as the engine reaches it, and its results as text."""
