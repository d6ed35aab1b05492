"""Command-line front ends that combine several packages (kept out of the packages themselves)."""
