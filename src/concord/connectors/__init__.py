"""System APIs: one folder per platform, the same shape each, plus the registry that finds them."""
