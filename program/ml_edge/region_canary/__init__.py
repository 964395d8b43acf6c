"""The region canary: a scheduled Lambda function that proves CloudFront could reach its region's origin."""
