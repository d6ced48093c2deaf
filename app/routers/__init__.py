"""Thin HTTP handlers: parse → authorise → service → schema."""
