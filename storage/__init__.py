"""Persistence: database, encrypted blobs, keys. Knows nothing of Presidio or Prefect."""
