"""The month demo: Concord embedded over a sandboxed firm for a simulated month."""
