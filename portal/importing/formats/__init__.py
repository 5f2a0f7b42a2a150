"""Parsers of the published forms of an edition: pure, text in and records out."""
