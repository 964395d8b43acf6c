"""The reference model: an iris classifier served by a Lambda function (pure Python, no dependencies)."""
