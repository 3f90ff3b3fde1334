"""An embedded S3 + CloudWatch endpoint and a realistic account, for the demo and the tests."""
