"""Strata's local cloud: moto's server, extended so the same `sam deploy` works as against AWS."""
