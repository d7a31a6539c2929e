"""Corpora and probes for the recipes, generated offline."""
