"""The content pipeline every domain's files go through: read, validate all, write once, publish."""
