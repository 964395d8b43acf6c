"""The edge smoke suite run against a deployed environment, its URLs and keys read from the stack."""
