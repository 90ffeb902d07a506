"""Infrastructure as code: CloudFormation templates and the IAM policies they imply."""
