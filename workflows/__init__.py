"""Orchestration: the processing stages of a report's life and the flows that run them."""
