"""Tests of the insights service: its figures checked against an independent computation."""
