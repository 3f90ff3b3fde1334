"""The listing engine: signed by botocore, parsed by us, split across processes."""
