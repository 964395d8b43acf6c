"""The program planned under Pulumi's mock runtime, and the plan as text."""
