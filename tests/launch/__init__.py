"""Tests of the launch scripts (dry runs on CPU, Ray head/worker handling)."""
