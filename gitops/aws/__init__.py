"""The AWS calls made around a deploy (authorizer cache, CloudFront invalidation, DNS) and for `make consumer-key`."""
