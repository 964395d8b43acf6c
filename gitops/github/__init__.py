"""GitHub: the REST calls, the preview comment's marker, the comment poster (write token) and the issue tracker.
Imports nothing of planning/, policy/ or pulumi/: the poster's job installs none of them."""
