"""What the workflows call: environments, the offline preview, and (later) comments and smoke arguments."""
