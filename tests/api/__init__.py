"""Tests of the HTTP glue and the app."""
